"""The query layer: the only place with SQL.

Functions take plain, hashable arguments (a unit, :class:`Filters`, a :class:`Scope`),
read the analytics tables only, and return DataFrames. Results are memoized with
flask-caching under keys that carry every argument and the published data version.
"""

from queries.filters import ALL, Filters
from queries.scope import NATIONAL_SCOPE, OutOfScope, Scope

__all__ = ["ALL", "Filters", "NATIONAL_SCOPE", "OutOfScope", "Scope"]
