"""WSGI entry point (gunicorn icp_portal.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.production")

application = get_wsgi_application()

# Load every view module (PDF rendering pulls in WeasyPrint) while the worker boots, so the first
# request a worker serves is not several seconds slower than the rest.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
