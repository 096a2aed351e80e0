"""Template context every page needs: the deployment's marking banner."""

from django.conf import settings


def portal(request):
    return {"PORTAL_MARKING": settings.PORTAL_MARKING}
