"""Flask extensions, created without an app and bound by the factory."""

from flask_caching import Cache
from flask_login import LoginManager

#: Query results, keyed on every argument and on the published data version.
cache = Cache()
#: Sessions of logged-in users.
login_manager = LoginManager()
# The login rate limiter is made per app (dashboard.web.auth.rate_limit): its counters live in
# the storage that app's configuration names.
