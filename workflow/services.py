"""Every lifecycle write: transitions, coordination positions, congressional notice, obligations
and the system sweeps. ``agreement_transition`` is the only door through which state changes."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from agreements.choices import AgreementKind, AmendmentType, State
from agreements.models import Agreement, Participant, agreement_violations, validate_agreement
from partners.models import CoordinatingOffice, Role, User

from . import rules
from .exceptions import TransitionConflict, TransitionForbidden, TransitionRefused
from .models import (
    CoordinationPosition,
    CoordinationRound,
    CoordinationStage,
    Notification,
    ObligationKind,
    PositionStatus,
    RenderJob,
    RenderKind,
    ReportingObligation,
    TransitionLog,
)
from .notifications import POSITION_KINDS, notify
from .outbox import outbox_enqueue
from .transitions import (
    EVENT_AMENDMENT_APPLIED,
    EVENT_CONCURRED_BY_SILENCE,
    EVENT_CONGRESSIONAL_NOTICE,
    EVENT_MASTER_LAPSED,
    EVENT_OBLIGATION_COMPLETED,
    EVENT_OFFICES_CHANGED,
    EVENT_POSITION_RECORDED,
    EVENT_POSITION_REMINDED,
    TRANSITION_INFO,
    TRANSITION_NAMES,
)

logger = logging.getLogger(__name__)

RENDER_TASK = "workflow.tasks.render_job_run"


# --- request context --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditContext:
    """Where an action came from, for the audit trail."""

    request_id: str = ""
    client_address: str | None = None

    @classmethod
    def from_request(cls, request) -> AuditContext:
        if request is None:
            return cls()
        return cls(request_id=getattr(request, "id", "") or "", client_address=request.META.get("REMOTE_ADDR"))


SYSTEM = AuditContext(request_id="system")


def audit_event(
    *,
    agreement: Agreement,
    event: str,
    user: User | None,
    comment: str = "",
    data: dict | None = None,
    context: AuditContext | None = None,
    source: str | None = None,
    target: str | None = None,
) -> TransitionLog:
    """Append one row to the audit trail."""
    context = context or AuditContext()
    return TransitionLog.objects.create(
        agreement=agreement,
        transition=event,
        source=source if source is not None else agreement.state,
        target=target if target is not None else agreement.state,
        user=user,
        comment=comment,
        data=data or {},
        request_id=context.request_id,
        client_address=context.client_address,
    )


# --- what may be done now ---------------------------------------------------------------------
@dataclass
class TransitionOption:
    """One transition from the agreement's current state, and whether this user may do it now."""

    name: str
    label: str
    target: str
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    comment_required: bool = False
    destructive: bool = False
    system_only: bool = False
    # (reason, (route name, query string, element id) or None): where each reason is fixed.
    fixes: list[tuple[str, tuple[str, str, str] | None]] = field(default_factory=list)


def _fsm_transition(agreement: Agreement, name: str):
    """The django-fsm-2 Transition for ``name`` from the agreement's current state, or None."""
    method = getattr(type(agreement), name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    return meta.get_transition(agreement.state)


def _target_label(fsm_transition) -> str:
    target = fsm_transition.target
    allowed = getattr(target, "allowed_states", None)
    if allowed:
        return " or ".join(State(s).label for s in allowed)
    return State(target).label


def _reasons(agreement: Agreement, user: User | None, fsm_transition) -> list[tuple[str, tuple | None]]:
    """Each reason the transition is not possible now, with where it is fixed."""
    permission = fsm_transition.permission
    if permission is not None:
        denied = permission.reason(agreement, user)
        if denied:
            return [(denied, None)]
    reasons = []
    for condition in fsm_transition.conditions:
        failed = condition.reasons(agreement)
        if failed:
            fix = rules.reason_fix(condition, agreement)
            reasons.extend((reason, fix) for reason in failed)
    return reasons


def available_transitions(agreement: Agreement, user: User | None) -> list[TransitionOption]:
    """Every transition leading out of the current state: allowed for this user now, or why not."""
    options = []
    for name in TRANSITION_NAMES:
        fsm_transition = _fsm_transition(agreement, name)
        if fsm_transition is None:
            continue
        info = TRANSITION_INFO[name]
        fixes = _reasons(agreement, user, fsm_transition)
        if name == "record_signature" and not fixes and not _unsigned_parties(agreement):
            fixes = [("Every signature has been recorded.", None)]
        options.append(
            TransitionOption(
                name=name,
                label=info.label,
                target=_target_label(fsm_transition),
                allowed=not fixes,
                reasons=[reason for reason, _fix in fixes],
                fixes=fixes,
                comment_required=info.comment_required,
                destructive=info.destructive,
                system_only=info.system_only,
            )
        )
    return options


# --- the one door -----------------------------------------------------------------------------
def agreement_transition(
    *,
    agreement: Agreement,
    name: str,
    user: User | None,
    comment: str = "",
    context: AuditContext | None = None,
    expected_state: str | None = None,
    **data,
) -> TransitionLog:
    """Apply one lifecycle transition: lock, check, change, audit and enqueue side effects, all
    in one transaction. ``user`` None is the system. ``expected_state`` is the state the caller
    last showed its user (the browser's hidden field, the API's ``expected_state``); without it,
    the state of the caller's copy. Raises TransitionConflict when the agreement moved on since,
    TransitionForbidden or TransitionRefused otherwise."""
    if name not in TRANSITION_NAMES:
        raise TransitionRefused(f"“{name}” is not a lifecycle action.")
    if expected_state in ("", None):
        expected_state = agreement.state
    elif expected_state not in State.values:
        raise TransitionRefused(f"“{expected_state}” is not a state of the lifecycle.")
    context = context or (SYSTEM if user is None else AuditContext())
    comment = (comment or "").strip()
    try:
        with transaction.atomic():
            return _transition_locked(agreement, name, user, comment, context, data, expected_state)
    except ConcurrentTransition:
        current = Agreement.objects.values_list("state", flat=True).get(pk=agreement.pk)
        raise TransitionConflict(
            f"{agreement.reference} changed while you were working: it is now {State(current).label}.",
            current_state=current,
        ) from None


def _transition_locked(agreement, name, user, comment, context, data, expected_state) -> TransitionLog:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    info = TRANSITION_INFO[name]
    if locked.state != expected_state:
        raise TransitionConflict(
            f"{locked.reference} changed while you were working: it is now {State(locked.state).label}.",
            current_state=locked.state,
        )
    fsm_transition = _fsm_transition(locked, name)
    if fsm_transition is None:
        raise TransitionConflict(
            f"“{info.label}” is not possible while {locked.reference} is {State(locked.state).label}.",
            current_state=locked.state,
        )
    denied = fsm_transition.permission.reason(locked, user) if fsm_transition.permission else None
    if denied:
        raise TransitionForbidden(denied)
    if info.comment_required and not comment:
        raise TransitionRefused(f"A comment is required to {info.label.lower()}.")

    if name in ("authorize_negotiation", "approve_conclusion"):
        # Offices silent past their deadline are deemed to concur: record that first, as its own event.
        round_ = CoordinationRound.objects.current_for(locked)
        if round_ is not None:
            _silence_sweep_round(round_, timezone.now())
    signature = None
    if name == "record_signature":
        signature = _record_signature_data(locked, user, data)

    reasons = [r for condition in fsm_transition.conditions for r in condition.reasons(locked)]
    if reasons:
        raise TransitionRefused(reasons)

    source = locked.state
    getattr(locked, name)()
    now = timezone.now()
    locked.state_changed_at = now
    if locked.state == State.IN_FORCE:
        locked.entry_into_force_date = locked.fixed_entry_into_force_date or _last_signature_date(locked)
    locked._history_user = user
    locked._change_reason = f"{info.label}{': ' + comment if comment else ''}"[:100]
    locked.save()

    log_data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in (signature or {}).items()}
    log = audit_event(
        agreement=locked,
        event=name,
        user=user,
        comment=comment,
        data=log_data,
        context=context,
        source=source,
        target=locked.state,
    )
    _after_transition(locked, name, source, user, comment, context)
    # The caller's copy follows the row, so it can go on using it.
    agreement.refresh_from_db()
    return log


def _unsigned_parties(agreement: Agreement) -> list[str]:
    parties = [] if agreement.us_signature_date else ["United States"]
    parties += [p.partner.name for p in agreement.participants.select_related("partner") if not p.signature_date]
    return parties


def _last_signature_date(agreement: Agreement) -> dt.date:
    dates = [agreement.us_signature_date] + [p.signature_date for p in agreement.participants.all()]
    return max(d for d in dates if d)


def _record_signature_data(agreement: Agreement, user, data: dict) -> dict:
    """Validate and store one signature (a participant's, or the United States' when
    ``participant`` is None) before the transition decides signing or in force."""
    signature_date = data.get("signature_date")
    if isinstance(signature_date, str):
        try:
            signature_date = dt.date.fromisoformat(signature_date)
        except ValueError:
            raise TransitionRefused("The signature date must be a date (YYYY-MM-DD).") from None
    if not isinstance(signature_date, dt.date):
        raise TransitionRefused("Enter the date of the signature.")
    if signature_date > timezone.localdate():
        raise TransitionRefused("A signature date cannot be in the future.")
    signatory_name = (data.get("signatory_name") or "").strip()
    signatory_title = (data.get("signatory_title") or "").strip()
    if not signatory_name:
        raise TransitionRefused("Enter the name of the signatory.")
    participant = data.get("participant")
    if participant in (None, "", "us", "US"):
        if agreement.us_signature_date:
            raise TransitionRefused(f"The United States signed on {agreement.us_signature_date:%Y-%m-%d} already.")
        agreement.us_signatory_name = signatory_name
        agreement.us_signatory_title = signatory_title
        agreement.us_signature_date = signature_date
        return {"party": "United States", "signatory_name": signatory_name, "signature_date": signature_date}
    participant_id = participant.pk if isinstance(participant, Participant) else participant
    try:
        row = agreement.participants.select_related("partner").get(pk=participant_id)
    except (Participant.DoesNotExist, ValueError, TypeError, ValidationError):
        raise TransitionRefused("That participant does not take part in this agreement.") from None
    if row.signature_date:
        raise TransitionRefused(f"{row.partner.name} signed on {row.signature_date:%Y-%m-%d} already.")
    row.signatory_name = signatory_name
    row.signatory_title = signatory_title
    row.signature_date = signature_date
    row._history_user = user
    row.save()
    return {"party": row.partner.name, "signatory_name": signatory_name, "signature_date": signature_date}


# --- side effects -----------------------------------------------------------------------------
def _program_office_users(agreement: Agreement):
    users = list(User.objects.filter(role=Role.PROGRAM_OFFICE, organization_id=agreement.lead_organization_id))
    if agreement.action_officer_id and agreement.action_officer not in users:
        users.append(agreement.action_officer)
    return users


def _reviewers():
    return User.objects.filter(role=Role.REVIEWER, is_active=True)


def _after_transition(agreement, name, source, user, comment, context) -> None:
    target = agreement.state
    if source in (State.RAD_REVIEW, State.RFA_REVIEW):
        CoordinationRound.objects.open().filter(agreement=agreement).update(closed_at=timezone.now(), outcome=name)
        # The round is closed: the requests and reminders for positions in it are settled.
        Notification.objects.filter(agreement=agreement, kind__in=POSITION_KINDS, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    if target in (State.RAD_REVIEW, State.RFA_REVIEW):
        round_ = coordination_round_open(
            agreement=agreement,
            stage=CoordinationStage.RAD if target == State.RAD_REVIEW else CoordinationStage.RFA,
        )
        notify(
            users=_reviewers(),
            kind="review_requested",
            message=f"{agreement.reference} awaits your review ({State(target).label}).",
            dedupe_key=f"review:{round_.pk}",
            agreement=agreement,
        )
    if target == State.RAD_REVIEW:
        render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=user)
    if target == State.IN_FORCE:
        _open_obligations(agreement)
        if agreement.kind == AgreementKind.AMENDMENT:
            _apply_amendment(agreement, user, context)
        render_job_request(kind=RenderKind.SUMMARY, agreement=agreement, user=user)
    if target in (State.EXPIRED, State.TERMINATED) and agreement.kind == AgreementKind.MASTER:
        _flag_project_arrangements(agreement, user, context)
    notify(
        users=[u for u in _program_office_users(agreement) if u != user],
        kind="transition",
        message=f"{agreement.reference}: {TRANSITION_INFO[name].label} — now {State(target).label}."
        + (f" Comment: {comment}" if comment else ""),
        dedupe_key=f"transition:{agreement.pk}:{name}:{source}:{agreement.state_changed_at.isoformat()}",
        agreement=agreement,
    )


def _open_obligations(agreement: Agreement) -> None:
    signed = _last_signature_date(agreement) if agreement.all_signatures_in else timezone.localdate()
    in_force = agreement.entry_into_force_date or signed
    # 22 CFR 181.7: the text goes to the State Department within N days after signature.
    ReportingObligation.objects.get_or_create(
        agreement=agreement,
        kind=ObligationKind.STATE_TRANSMITTAL,
        defaults={"due_date": signed + dt.timedelta(days=settings.STATE_TRANSMITTAL_DAYS)},
    )
    # State reports monthly on the prior month's agreements: due by the end of the next month.
    year, month = (in_force.year + 1, 1) if in_force.month == 12 else (in_force.year, in_force.month + 1)
    ReportingObligation.objects.get_or_create(
        agreement=agreement,
        kind=ObligationKind.CONGRESSIONAL_REPORT,
        defaults={"due_date": dt.date(year, month, calendar.monthrange(year, month)[1])},
    )


def _reasons_of(error: ValidationError) -> list[str]:
    reasons: list[str] = []
    for message in error.messages:
        if message not in reasons:
            reasons.append(message)
    return reasons


def _apply_amendment(amendment: Agreement, user, context) -> None:
    """Change the parent as the amendment in force says, after checking once more (on the locked
    parent) that the result keeps every rule; otherwise the whole transition is refused."""
    parent = Agreement.objects.select_for_update().get(pk=amendment.parent_id)
    amendment.parent = parent
    problems = agreement_violations(amendment)
    if problems:
        raise TransitionRefused([m for messages in problems.values() for m in messages])
    changes = []
    if amendment.amendment_type == AmendmentType.EXTENSION and amendment.new_expiration_date:
        old = parent.expiration_date
        parent.expiration_date = amendment.new_expiration_date
        changes.append(
            f"expiration date {old:%Y-%m-%d} → {amendment.new_expiration_date:%Y-%m-%d}"
            if old
            else f"expiration date set to {amendment.new_expiration_date:%Y-%m-%d}"
        )
    joining = []
    if amendment.amendment_type == AmendmentType.NEW_PARTICIPANT:
        existing = set(parent.participants.values_list("partner_id", flat=True))
        joining = [p.partner for p in amendment.participants.select_related("partner") if p.partner_id not in existing]
    current = [p.partner for p in parent.participants.select_related("partner")]
    try:
        validate_agreement(parent, partners=[*current, *joining])
    except ValidationError as exc:
        raise TransitionRefused(_reasons_of(exc)) from None
    for partner in joining:
        participant = Participant(agreement=parent, partner=partner)
        participant._history_user = user
        participant.full_clean()
        participant.save()
        changes.append(f"{partner.name} joins")
    summary = f"Amendment {amendment.reference} in force: " + ("; ".join(changes) or "text amended") + "."
    parent._history_user = user
    parent._change_reason = summary[:100]
    parent.save()
    audit_event(
        agreement=parent,
        event=EVENT_AMENDMENT_APPLIED,
        user=user,
        comment=summary,
        data={"amendment": amendment.reference},
        context=context,
    )


def _flag_project_arrangements(master: Agreement, user, context) -> None:
    open_pas = master.children.filter(kind=AgreementKind.PROJECT_ARRANGEMENT).open()
    now = timezone.now()
    for pa in open_pas.select_for_update():
        pa.master_lapsed_at = now
        pa._history_user = user
        pa._change_reason = f"Master {master.reference} {State(master.state).label.lower()}"[:100]
        pa.save(update_fields=["master_lapsed_at", "updated_at"])
        message = f"The master agreement {master.reference} is {State(master.state).label.lower()}."
        audit_event(
            agreement=pa,
            event=EVENT_MASTER_LAPSED,
            user=user,
            comment=message,
            data={"master": master.reference},
            context=context,
        )
        notify(
            users=_program_office_users(pa),
            kind="master_lapsed",
            message=f"{pa.reference}: {message}",
            dedupe_key=f"master_lapsed:{pa.pk}:{master.state}",
            agreement=pa,
        )


# --- coordination -----------------------------------------------------------------------------
def coordination_round_open(*, agreement: Agreement, stage: str, offices=None) -> CoordinationRound:
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
    for office in offices:
        notify(
            users=User.objects.filter(role=Role.COORDINATOR, coordinating_office=office),
            kind="position_requested",
            message=_position_message(agreement, round_, office, due),
            dedupe_key=f"position_requested:{round_.pk}:{office.pk}",
            agreement=agreement,
        )
    return round_


def _position_message(agreement: Agreement, round_: CoordinationRound, office, due) -> str:
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
    *, agreement: Agreement, user: User, offices, context: AuditContext | None = None
) -> CoordinationRound:
    """The reviewer edits which offices take part in the open round (answered positions stay)."""
    if not user.is_reviewer:
        raise PermissionDenied("Only an OUSD(A&S) reviewer may change the coordinating offices.")
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
    audit_event(
        agreement=agreement,
        event=EVENT_OFFICES_CHANGED,
        user=user,
        context=context,
        comment="Offices: " + ", ".join(sorted(o.name for o in wanted.values())),
    )
    return round_


def position_silence_denial(position: CoordinationPosition, now=None) -> str | None:
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


def _silence_sweep_round(round_: CoordinationRound, now) -> int:
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
    return count


def silence_sweep(*, now=None) -> int:
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
            round_ = CoordinationRound.objects.select_for_update().select_related("agreement").get(pk=round_id)
            if round_.is_open:
                count += _silence_sweep_round(round_, now)
    return count


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


def _sweep_transition(queryset, name: str) -> int:
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
        "end_congressional_wait",
    )


def entry_into_force_sweep(*, today: dt.date | None = None) -> int:
    """Bring into force every signed agreement whose fixed entry-into-force date has come
    (its reporting obligations open then)."""
    today = today or timezone.localdate()
    return _sweep_transition(
        Agreement.objects.filter(state=State.SIGNED, fixed_entry_into_force_date__lte=today), "enter_into_force"
    )


def expiry_sweep(*, today: dt.date | None = None) -> int:
    """Expire every agreement in force whose expiration date has come."""
    today = today or timezone.localdate()
    return _sweep_transition(Agreement.objects.filter(state=State.IN_FORCE, expiration_date__lte=today), "expire")


# --- PDF requests -----------------------------------------------------------------------------
def render_job_request(
    *, kind: str, user: User | None, agreement: Agreement | None = None, params: dict | None = None
) -> RenderJob:
    """Queue a PDF: the job row and its outbox message commit with the caller's transaction."""
    with transaction.atomic():
        job = RenderJob.objects.create(kind=kind, agreement=agreement, params=params or {}, requested_by=user)
        outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=f"render:{job.pk}")
    return job
