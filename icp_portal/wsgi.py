"""WSGI entry point (gunicorn icp_portal.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.production")

application = get_wsgi_application()
