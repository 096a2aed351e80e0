"""Production: everything from the environment; refuses to start without a secret key.
`manage.py check --deploy --fail-level WARNING` passes with these settings once TRUSTED_PROXIES
names the TLS proxy in front of web (icp_portal/security/checks.py, icp.W001)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REDIS_URL, env

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
DEBUG = False

# Each web process keeps its PostgreSQL connection between requests (for this many seconds)
# instead of opening one per request, checked before reuse so a restarted database is reconnected.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Lockouts, the sign-in slow-down and token failure counts are shared by every web process. A
# Redis outage suspends them rather than failing every sign-in (icp_portal/cache.py). A cache call
# waits at most CACHE_TIMEOUT_SECONDS for Redis; after a failure the process skips Redis for
# CACHE_BREAKER_SECONDS, so a hung Redis costs a request at most about one timeout.
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.5)
CACHE_BREAKER_SECONDS = env.float("CACHE_BREAKER_SECONDS", default=5)
CACHES = {
    "default": {
        "BACKEND": "icp_portal.cache.ResilientRedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "icp-portal",
        "OPTIONS": {
            "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
            "socket_timeout": CACHE_TIMEOUT_SECONDS,
            "breaker_seconds": CACHE_BREAKER_SECONDS,
        },
    }
}

# Cookies: HTTPS only, bound to this exact host (the __Host- prefix forbids Domain and needs
# Secure and Path=/), never sent on cross-site requests.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
if CSRF_COOKIE_SECURE:
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The TLS proxy tells Django the original scheme; /healthz-style probes over plain HTTP inside
# the compose network are not redirected.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
