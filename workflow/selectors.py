"""Shared reads of the workflow: audit trail, coordination, obligations, as each user may see them."""

from __future__ import annotations

from django.db.models import QuerySet

from agreements.selectors import agreements_visible_to

from .models import CoordinationPosition, ReportingObligation, TransitionLog
from .transitions import TRANSITION_NAMES


def transition_logs_visible_to(user) -> QuerySet[TransitionLog]:
    """The audit trail of visible agreements. A liaison sees only state changes, never the
    coordination events; its views must not show comments either (see ``liaison_safe``)."""
    logs = TransitionLog.objects.filter(agreement__in=agreements_visible_to(user))
    if user is not None and user.is_authenticated and user.is_liaison:
        logs = logs.filter(transition__in=TRANSITION_NAMES)
    return logs.select_related("user", "agreement")


def positions_visible_to(user) -> QuerySet[CoordinationPosition]:
    """Coordination positions are internal: never shown to a liaison."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return CoordinationPosition.objects.none()
    return CoordinationPosition.objects.select_related("round__agreement", "office", "responded_by")


def positions_due_for(user) -> QuerySet[CoordinationPosition]:
    """Open positions of the coordinator's own office, nearest deadline first."""
    if user is None or not user.is_authenticated or not user.is_coordinator:
        return CoordinationPosition.objects.none()
    return (
        positions_visible_to(user)
        .filter(office_id=user.coordinating_office_id, round__closed_at__isnull=True)
        .order_by("due_at")
    )


def obligations_visible_to(user) -> QuerySet[ReportingObligation]:
    if user is None or not user.is_authenticated or user.is_liaison:
        return ReportingObligation.objects.none()
    return ReportingObligation.objects.select_related("agreement")
