"""Who is asking: the scope every query of this request runs under."""

from __future__ import annotations

from queries.scope import NATIONAL_SCOPE, Scope


def current_scope() -> Scope:
    """Return the caller's scope (everything, until access control binds users to subtrees)."""
    return NATIONAL_SCOPE
