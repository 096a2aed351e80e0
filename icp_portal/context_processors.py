"""Template context every page needs: the deployment's marking banner and, for a signed-in
person, the number of unread notifications shown in the header (one COUNT query, made lazily)."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _unread_count(user) -> int:
    from workflow.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def portal(request):
    context = {"PORTAL_MARKING": settings.PORTAL_MARKING}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = SimpleLazyObject(lambda: _unread_count(user))
    return context
