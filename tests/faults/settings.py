"""The fault suite's settings: production's, with static files served from the finders (no
collectstatic before a run) and cookies allowed over the suite's plain-HTTP loopback."""

from icp_portal.settings.production import *  # noqa: F403
from icp_portal.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Plain HTTP on the loopback: no HTTPS redirect, and no __Host- cookie names (they need Secure).
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
