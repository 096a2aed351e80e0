"""The fault suite's settings: production's, with static files served from the finders (no
collectstatic before a run) and cookies allowed over the suite's plain-HTTP loopback."""

from icp_portal.settings.production import *  # noqa: F401,F403
from icp_portal.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
