"""Test settings: PostgreSQL and Redis (as in CI), fast hashing, in-memory e-mail."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/icp_portal"),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
CELERY_TASK_ALWAYS_EAGER = False
# Tasks relayed by tests that do not run a worker stay in this process; the background-job tests
# point the app at Redis (their own database and queue) and start real workers there.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
REST_FRAMEWORK = {**REST_FRAMEWORK}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/min", "user": "100000/min"}
# Every relay tries the broker: tests that take it down must not delay the next test's relays
# (tests/reliability/test_broker.py sets the pause where it is under test).
BROKER_PUBLISH_PAUSE_SECONDS = 0
# Static files come straight from the finders; no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The audit tables refuse TRUNCATE unless the session allows it (workflow migration 0002); the
# test runner empties its database with TRUNCATE between transactional tests, so its sessions do.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c icp.audit_truncate=allow"
