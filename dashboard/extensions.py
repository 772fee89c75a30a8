"""Flask extensions, created without an app and bound by the factory."""

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager

#: Query results, keyed on every argument and on the published data version.
cache = Cache()
#: Sessions of logged-in users.
login_manager = LoginManager()
#: Request rates (login attempts); in memory per worker unless a storage URI is set.
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
