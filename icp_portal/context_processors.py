"""Template context every page needs: the deployment's marking banner, the consent banner text,
the session time-out the page warns about and, for a signed-in person, the number of unread
notifications shown in the header (one COUNT query, made lazily)."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _unread_count(user) -> int:
    from workflow.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _banner_lines(text: str) -> tuple[str, list[str]]:
    """The consent banner as its opening sentence and its bullet points (lines starting "- ")."""
    lines = [line.strip() for line in text.replace("\\n", "\n").splitlines() if line.strip()]
    intro = [line for line in lines if not line.startswith("- ")]
    points = [line[2:].strip() for line in lines if line.startswith("- ")]
    return " ".join(intro), points


def _choices() -> dict:
    """The choices templates compare with, so no template spells a value ('rfa_review') itself."""
    from agreements.choices import ParticipantRole, State
    from workflow.models import ImportStatus, RenderStatus

    return {
        "State": State,
        "ParticipantRole": ParticipantRole,
        "RenderStatus": RenderStatus,
        "ImportStatus": ImportStatus,
    }


def portal(request):
    """What every page's layout needs: the classification banner, the session time-out and the unread count."""
    from icp_portal.security.middleware import idle_limit_seconds

    intro, points = _banner_lines(settings.CONSENT_BANNER_TEXT)
    context = {
        "PORTAL_MARKING": settings.PORTAL_MARKING,
        "CONSENT_BANNER_INTRO": intro,
        "CONSENT_BANNER_POINTS": points,
        **_choices(),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["SESSION_IDLE_SECONDS"] = idle_limit_seconds(user)
        context["SESSION_WARNING_SECONDS"] = settings.SESSION_WARNING_SECONDS
        context["unread_notifications"] = SimpleLazyObject(lambda: _unread_count(user))
    return context
