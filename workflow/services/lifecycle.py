"""What may be done now, and the one door through which state changes: ``agreement_transition``
and what follows from a transition in the same transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, Transition

from agreements.choices import AgreementKind, AmendmentType, State
from agreements.models import Agreement, Participant, agreement_violations, validate_agreement
from partners.models import User

from .. import rules
from ..exceptions import TransitionConflict, TransitionForbidden, TransitionRefused
from ..models import (
    CoordinationPosition,
    CoordinationRound,
    CoordinationStage,
    Notification,
    ObligationKind,
    RenderKind,
    ReportingObligation,
    TransitionLog,
)
from ..notifications import POSITION_KINDS, notify
from ..transitions import (
    EVENT_AMENDMENT_APPLIED,
    EVENT_MASTER_LAPSED,
    TRANSITION_INFO,
    TRANSITION_NAMES,
    TransitionName,
)
from .audit import SYSTEM, AuditContext, audit_event
from .coordination import _review_request, _silence_sweep_round, awaited_deadlines_refresh, coordination_round_open
from .people import _program_office_users, _reviewers
from .renders import render_job_request


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


def _fsm_transition(agreement: Agreement, name: str) -> Transition | None:
    """The django-fsm-2 Transition for ``name`` from the agreement's current state, or None."""
    method = getattr(type(agreement), name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    return meta.get_transition(agreement.state)


def _target_label(fsm_transition: Transition) -> str:
    target = fsm_transition.target
    allowed = getattr(target, "allowed_states", None)
    if allowed:
        return " or ".join(State(s).label for s in allowed)
    return State(target).label


def _reasons(
    agreement: Agreement, user: User | None, fsm_transition: Transition
) -> list[tuple[str, tuple[str, str, str] | None]]:
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
        if name == TransitionName.RECORD_SIGNATURE and not fixes and not _unsigned_parties(agreement):
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
    **data: Any,
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


def _transition_locked(
    agreement: Agreement,
    name: str,
    user: User | None,
    comment: str,
    context: AuditContext,
    data: dict[str, Any],
    expected_state: str,
) -> TransitionLog:
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

    if name in (TransitionName.AUTHORIZE_NEGOTIATION, TransitionName.APPROVE_CONCLUSION):
        # Offices silent past their deadline are deemed to concur: record that first, as its own event.
        round_ = CoordinationRound.objects.current_for(locked)
        if round_ is not None:
            _silence_sweep_round(round_, timezone.now())
    signature = None
    if name == TransitionName.RECORD_SIGNATURE:
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


def _record_signature_data(agreement: Agreement, user: User | None, data: dict[str, Any]) -> dict[str, Any]:
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


def _after_transition(
    agreement: Agreement, name: str, source: str, user: User | None, comment: str, context: AuditContext
) -> None:
    target = agreement.state
    if source in (State.RAD_REVIEW, State.RFA_REVIEW):
        CoordinationRound.objects.open().filter(agreement=agreement).update(closed_at=timezone.now(), outcome=name)
        CoordinationPosition.objects.filter(round__agreement=agreement, round_open=True).update(round_open=False)
        awaited_deadlines_refresh([agreement.pk])
        # The round is closed: the requests and reminders for positions in it are settled.
        Notification.objects.filter(agreement=agreement, kind__in=POSITION_KINDS, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    if target in (State.RAD_REVIEW, State.RFA_REVIEW):
        round_ = coordination_round_open(
            agreement=agreement,
            stage=CoordinationStage.RAD if target == State.RAD_REVIEW else CoordinationStage.RFA,
        )
        message, key = _review_request(round_, target)
        notify(users=_reviewers(), kind="review_requested", message=message, dedupe_key=key, agreement=agreement)
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


def _apply_amendment(amendment: Agreement, user: User | None, context: AuditContext) -> None:
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


def _flag_project_arrangements(master: Agreement, user: User | None, context: AuditContext) -> None:
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
