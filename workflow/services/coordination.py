"""Coordination rounds and positions, reminders, and concurrence by silence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from partners.models import CoordinatingOffice, Role, User

from ..models import (
    AWAITED_POSITION_STATUSES,
    CoordinationPosition,
    CoordinationRound,
    CoordinationStage,
    PositionStatus,
)
from ..notifications import notify
from ..transitions import (
    EVENT_CONCURRED_BY_SILENCE,
    EVENT_OFFICES_CHANGED,
    EVENT_POSITION_RECORDED,
    EVENT_POSITION_REMINDED,
)
from .audit import SYSTEM, AuditContext, audit_event
from .people import _reviewers


# --- the review queue's derived deadline ---------------------------------------------------------
def awaited_deadlines_refresh(agreement_ids: Iterable[int]) -> None:
    """Set ``Agreement.awaited_deadline`` of each agreement from its open round: the earliest
    deadline of a position still awaited (pending or only commented), empty when no round is open
    or none is awaited. Every service that opens or closes a round or changes a position calls it
    in the same transaction, after locking the agreement first (see ``_agreement_lock``), so the
    review queue reads its order from the agreement's row."""
    earliest = (
        CoordinationPosition.objects.filter(
            round__agreement=OuterRef("pk"), round__closed_at__isnull=True, status__in=AWAITED_POSITION_STATUSES
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    Agreement.objects.filter(pk__in=list(agreement_ids)).update(awaited_deadline=Subquery(earliest))


def _agreement_lock(agreement_id: int) -> None:
    """Lock the agreement's row before its round or positions: one order of locks for every
    coordination service and the transitions (which lock the agreement first too), and the next
    ``awaited_deadlines_refresh`` sees every change committed before the lock was granted."""
    list(Agreement.objects.select_for_update().filter(pk=agreement_id).values_list("pk", flat=True))


# --- coordination -----------------------------------------------------------------------------
def coordination_round_open(
    *, agreement: Agreement, stage: str, offices: Iterable[CoordinatingOffice] | None = None
) -> CoordinationRound:
    """Open a round with one position per office (the default set unless given), due after the
    silence period."""
    now = timezone.now()
    round_ = CoordinationRound.objects.create(agreement=agreement, stage=stage, opened_at=now)
    if offices is None:
        offices = CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True)
    due = now + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
    CoordinationPosition.objects.bulk_create(
        [CoordinationPosition(round=round_, office=office, due_at=due) for office in offices]
    )
    awaited_deadlines_refresh([agreement.pk])
    for office in offices:
        notify(
            users=User.objects.filter(role=Role.COORDINATOR, coordinating_office=office),
            kind="position_requested",
            message=_position_message(agreement, round_, office, due),
            dedupe_key=_position_request_key(round_, office),
            agreement=agreement,
        )
    return round_


def _position_request_key(round_: CoordinationRound, office: CoordinatingOffice) -> str:
    """The dedupe key of an office's request for its position in a round (one per user)."""
    return f"position_requested:{round_.pk}:{office.pk}"


def _review_request(round_: CoordinationRound, state: str) -> tuple[str, str]:
    """The message and dedupe key asking the reviewers to review the agreement of a round that
    opened when it entered ``state``."""
    agreement = round_.agreement
    return f"{agreement.reference} awaits your review ({State(state).label}).", f"review:{round_.pk}"


def _position_message(
    agreement: Agreement, round_: CoordinationRound, office: CoordinatingOffice, due: dt.datetime
) -> str:
    stage = "RAD (authority to negotiate)" if round_.stage == CoordinationStage.RAD else "RFA (final approval)"
    return (
        f"{agreement.reference} {agreement.short_title or agreement.title}: {office.name}'s position on the "
        f"{stage} is due by {due:%Y-%m-%d}."
    )


def position_reminder_denial(position: CoordinationPosition, *, now: dt.datetime) -> str | None:
    """Why an office cannot be reminded of its position now (None when it can): the one rule for
    the reminder from the coordination tab and the reminders sent from the review queue."""
    office = position.office
    if not position.round.is_open:
        return "This coordination round is closed."
    if position.status in (PositionStatus.CONCUR, PositionStatus.NON_CONCUR):
        return f"{office.name} has answered already."
    if position.is_silent_concurrence(now):
        return f"{office.name}'s deadline has passed: it is deemed to concur."
    return None


def position_reminder_key(position: CoordinationPosition, *, today: dt.date) -> str:
    """One reminder a day per position, whichever page sends it."""
    return f"position_reminder:{position.pk}:{today:%Y%m%d}"


@transaction.atomic
def coordination_reminder_send(
    *, position: CoordinationPosition, user: User, context: AuditContext | None = None
) -> int:
    """The reviewer reminds an office that has not answered in an open round (at most once a day
    per position). Returns how many coordinators were notified; audited."""
    if not user.is_reviewer:
        raise PermissionDenied("Only an OUSD(A&S) reviewer may send a reminder to a coordinating office.")
    position = (
        CoordinationPosition.objects.select_for_update()
        .select_related("round__agreement", "office")
        .get(pk=position.pk)
    )
    round_, office = position.round, position.office
    agreement = round_.agreement
    now = timezone.now()
    denial = position_reminder_denial(position, now=now)
    if denial:
        raise ValidationError(denial)
    coordinators = list(User.objects.filter(role=Role.COORDINATOR, coordinating_office=office, is_active=True))
    if not coordinators:
        raise ValidationError(f"{office.name} has no active coordinator to remind.")
    made = notify(
        users=coordinators,
        kind="position_reminder",
        message="Reminder from OUSD(A&S): " + _position_message(agreement, round_, office, position.due_at),
        dedupe_key=position_reminder_key(position, today=timezone.localdate()),
        agreement=agreement,
    )
    if not made:
        raise ValidationError(f"{office.name} was reminded today already.")
    audit_event(
        agreement=agreement,
        event=EVENT_POSITION_REMINDED,
        user=user,
        context=context,
        comment=f"Reminder sent to {office.name} (deadline {position.due_at:%Y-%m-%d}).",
        data={"office": office.code, "round": round_.pk, "notified": made},
    )
    return made


@transaction.atomic
def coordination_offices_set(
    *, agreement: Agreement, user: User, offices: Iterable[CoordinatingOffice], context: AuditContext | None = None
) -> CoordinationRound:
    """The reviewer edits which offices take part in the open round (answered positions stay)."""
    if not user.is_reviewer:
        raise PermissionDenied("Only an OUSD(A&S) reviewer may change the coordinating offices.")
    _agreement_lock(agreement.pk)
    round_ = CoordinationRound.objects.select_for_update().filter(agreement=agreement, closed_at__isnull=True).first()
    if round_ is None:
        raise ValidationError("No coordination round is open.")
    wanted = {o.pk: o for o in offices}
    if not wanted:
        raise ValidationError("At least one office must coordinate.")
    current = {p.office_id: p for p in round_.positions.all()}
    removed = [p for oid, p in current.items() if oid not in wanted]
    answered = [p.office.name for p in removed if p.status != PositionStatus.PENDING]
    if answered:
        raise ValidationError(f"{', '.join(answered)} already answered and cannot be removed.")
    for position in removed:
        position.delete()
    due = timezone.now() + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
    added = [
        CoordinationPosition(round=round_, office=o, due_at=due) for oid, o in wanted.items() if oid not in current
    ]
    CoordinationPosition.objects.bulk_create(added)
    awaited_deadlines_refresh([agreement.pk])
    audit_event(
        agreement=agreement,
        event=EVENT_OFFICES_CHANGED,
        user=user,
        context=context,
        comment="Offices: " + ", ".join(sorted(o.name for o in wanted.values())),
    )
    return round_


def position_silence_denial(position: CoordinationPosition, now: dt.datetime | None = None) -> str | None:
    """The silence procedure: an office that has not objected by its deadline is deemed to concur,
    and that concurrence settles its position for the round (whether or not the sweep has
    recorded it yet). A later objection goes to the reviewer, who may return the package."""
    now = now or timezone.now()
    silent = position.status == PositionStatus.CONCURRED_BY_SILENCE or (
        position.status in (PositionStatus.PENDING, PositionStatus.COMMENT) and position.due_at <= now
    )
    if not silent:
        return None
    return (
        f"{position.office.name} was deemed to concur by silence when its deadline passed on "
        f"{timezone.localtime(position.due_at):%Y-%m-%d}: its position in this round is final. "
        "Raise any objection with the OUSD(A&S) reviewer, who may return the package for revision."
    )


@transaction.atomic
def coordination_position_record(
    *,
    position: CoordinationPosition,
    user: User,
    status: str,
    comment: str = "",
    context: AuditContext | None = None,
) -> CoordinationPosition:
    """A coordinator records (or revises) its office's position while the round is open."""
    _agreement_lock(CoordinationPosition.objects.values_list("round__agreement_id", flat=True).get(pk=position.pk))
    position = (
        CoordinationPosition.objects.select_for_update()
        .select_related("round__agreement", "office")
        .get(pk=position.pk)
    )
    if not user.is_coordinator or user.coordinating_office_id != position.office_id:
        raise PermissionDenied(f"Only a coordinator of {position.office.name} may record its position.")
    if not position.round.is_open:
        raise ValidationError("This coordination round is closed.")
    if denial := position_silence_denial(position):
        raise ValidationError(denial)
    if status not in (PositionStatus.CONCUR, PositionStatus.NON_CONCUR, PositionStatus.COMMENT):
        raise ValidationError({"status": "Choose concur, non-concur or comment."})
    comment = (comment or "").strip()
    if status in (PositionStatus.NON_CONCUR, PositionStatus.COMMENT) and not comment:
        label = "a non-concurrence" if status == PositionStatus.NON_CONCUR else "a comment"
        raise ValidationError({"comment": f"Say why: {label} needs a comment."})
    position.status = status
    position.comment = comment
    position.responded_by = user
    position.responded_at = timezone.now()
    position.save()
    awaited_deadlines_refresh([position.round.agreement_id])
    audit_event(
        agreement=position.round.agreement,
        event=EVENT_POSITION_RECORDED,
        user=user,
        comment=comment,
        data={"office": position.office.code, "status": status, "round": position.round_id},
        context=context,
    )
    if status == PositionStatus.NON_CONCUR:
        notify(
            users=_reviewers(),
            kind="non_concurrence",
            message=f"{position.round.agreement.reference}: {position.office.name} non-concurs.",
            dedupe_key=f"non_concur:{position.pk}:{position.responded_at.isoformat()}",
            agreement=position.round.agreement,
        )
    return position


def _silence_sweep_round(round_: CoordinationRound, now: dt.datetime) -> int:
    due = (
        CoordinationPosition.objects.select_for_update()
        .filter(round=round_, status__in=[PositionStatus.PENDING, PositionStatus.COMMENT], due_at__lte=now)
        .select_related("office")
    )
    count = 0
    for position in due:
        position.status = PositionStatus.CONCURRED_BY_SILENCE
        position.responded_at = now
        position.save(update_fields=["status", "responded_at"])
        audit_event(
            agreement=round_.agreement,
            event=EVENT_CONCURRED_BY_SILENCE,
            user=None,
            context=SYSTEM,
            comment=f"{position.office.name} did not answer by {position.due_at:%Y-%m-%d}: deemed to concur.",
            data={"office": position.office.code, "round": round_.pk},
        )
        count += 1
    if count:
        awaited_deadlines_refresh([round_.agreement_id])
    return count


def silence_sweep(*, now: dt.datetime | None = None) -> int:
    """Record "concurred by silence" for every open position past its deadline. Idempotent."""
    now = now or timezone.now()
    count = 0
    round_ids = (
        CoordinationPosition.objects.filter(
            round__closed_at__isnull=True, status__in=[PositionStatus.PENDING, PositionStatus.COMMENT], due_at__lte=now
        )
        .values_list("round_id", flat=True)
        .distinct()
    )
    for round_id in list(round_ids):
        with transaction.atomic():
            _agreement_lock(CoordinationRound.objects.values_list("agreement_id", flat=True).get(pk=round_id))
            round_ = CoordinationRound.objects.select_for_update().select_related("agreement").get(pk=round_id)
            if round_.is_open:
                count += _silence_sweep_round(round_, now)
    return count
