"""Congressional notice, reporting obligations, and the sweeps that move agreements on their dates."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from partners.models import User

from ..exceptions import TransitionConflict, TransitionForbidden, TransitionRefused
from ..models import ReportingObligation
from ..transitions import EVENT_CONGRESSIONAL_NOTICE, EVENT_OBLIGATION_COMPLETED, TransitionName
from .audit import AuditContext, audit_event
from .lifecycle import agreement_transition

logger = logging.getLogger(__name__)


# --- congressional notice, obligations, sweeps -------------------------------------------------
@transaction.atomic
def congressional_notice_record(
    *, agreement: Agreement, user: User, notice_date: dt.date, context: AuditContext | None = None
) -> Agreement:
    """The reviewer records the date Congress was notified; the wait runs from it."""
    if not user.is_reviewer:
        raise PermissionDenied("Only an OUSD(A&S) reviewer may record the congressional notice.")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.state not in (State.RFA_REVIEW, State.CONGRESSIONAL_WAIT):
        raise ValidationError("The congressional notice is recorded during RFA review or the congressional wait.")
    if notice_date > timezone.localdate():
        raise ValidationError({"notice_date": "The notice date cannot be in the future."})
    agreement.congressional_notice_date = notice_date
    agreement._history_user = user
    agreement.save(update_fields=["congressional_notice_date", "updated_at"])
    audit_event(
        agreement=agreement,
        event=EVENT_CONGRESSIONAL_NOTICE,
        user=user,
        context=context,
        comment=f"Congress notified on {notice_date:%Y-%m-%d}; the wait ends on "
        f"{agreement.congressional_wait_ends_on:%Y-%m-%d}.",
    )
    return agreement


def obligation_complete_denial(agreement: Agreement, user: User) -> str | None:
    """Why ``user`` may not mark the agreement's reporting obligations complete (None if it may)."""
    if user.is_reviewer or (user.is_program_office and user.organization_id == agreement.lead_organization_id):
        return None
    return "Only the lead program office or a reviewer may complete this obligation."


@transaction.atomic
def obligation_complete(
    *,
    obligation: ReportingObligation,
    user: User,
    completed_date: dt.date,
    notes: str = "",
    context: AuditContext | None = None,
) -> ReportingObligation:
    """Mark a reporting obligation done (program office of the lead organization, or a reviewer)."""
    agreement = obligation.agreement
    if denial := obligation_complete_denial(agreement, user):
        raise PermissionDenied(denial)
    if completed_date > timezone.localdate():
        raise ValidationError({"completed_date": "The completion date cannot be in the future."})
    obligation.completed_date = completed_date
    obligation.completed_by = user
    obligation.notes = notes
    obligation.save()
    audit_event(
        agreement=agreement,
        event=EVENT_OBLIGATION_COMPLETED,
        user=user,
        context=context,
        comment=f"{obligation.get_kind_display()} completed on {completed_date:%Y-%m-%d}.",
    )
    return obligation


def _sweep_transition(queryset: QuerySet[Agreement], name: str) -> int:
    done = 0
    for agreement in queryset:
        try:
            agreement_transition(agreement=agreement, name=name, user=None)
            done += 1
        except (TransitionConflict, TransitionRefused, TransitionForbidden) as exc:
            logger.info("%s not applied to %s: %s", name, agreement.reference, exc)
    return done


def congressional_wait_sweep(*, today: dt.date | None = None) -> int:
    """End every congressional wait whose period has passed."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS)
    return _sweep_transition(
        Agreement.objects.filter(state=State.CONGRESSIONAL_WAIT, congressional_notice_date__lte=cutoff),
        TransitionName.END_CONGRESSIONAL_WAIT,
    )


def entry_into_force_sweep(*, today: dt.date | None = None) -> int:
    """Bring into force every signed agreement whose fixed entry-into-force date has come
    (its reporting obligations open then)."""
    today = today or timezone.localdate()
    return _sweep_transition(
        Agreement.objects.filter(state=State.SIGNED, fixed_entry_into_force_date__lte=today),
        TransitionName.ENTER_INTO_FORCE,
    )


def expiry_sweep(*, today: dt.date | None = None) -> int:
    """Expire every agreement in force whose expiration date has come."""
    today = today or timezone.localdate()
    return _sweep_transition(
        Agreement.objects.filter(state=State.IN_FORCE, expiration_date__lte=today), TransitionName.EXPIRE
    )
