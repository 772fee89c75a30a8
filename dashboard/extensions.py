"""Flask extensions, created without an app and bound by the factory."""

from flask_caching import Cache

#: Query results, keyed on every argument and on the published data version.
cache = Cache()
