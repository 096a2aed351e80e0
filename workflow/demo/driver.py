"""Runs the demo catalog through the real services, so every demo agreement has a true history.

Nothing here moves the clock: ``seed_demo`` takes an optional ``clock`` (the ``seed_demo``
command gives one backed by time-machine) that dates each step the typical number of days after
the one before. Without it every step happens today."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import LIFECYCLE_STEPS, AgreementKind, DdlStatus, DocumentKind, LegalAuthority, State
from agreements.models import Agreement
from partners.models import CoordinatingOffice, Organization, Partner, Role, User
from partners.services import reference_data_load, user_create
from workflow import services
from workflow.models import CoordinationRound, PositionStatus
from workflow.transitions import TransitionName

from .catalog import COORDINATOR_NAMES, DEMO_AGREEMENTS, DEMO_USERS, SSOI_TEXT, STEP_DAYS, DemoAgreement


class DemoClock(Protocol):
    """A clock the driver moves forward between two steps of an agreement's history."""

    def advance(self, days: int) -> None: ...


# Called with the number of days ago an agreement's history starts; yields the clock.
ClockFactory = Callable[[int], AbstractContextManager[DemoClock]]


@dataclass
class Cast:
    """The people who move an agreement through its lifecycle."""

    program_office: User
    reviewer: User
    coordinators: list[User]


def ensure_cast(password: str | None = None) -> Cast:
    """Reference data, the demo users, and one coordinator per default office. Idempotent."""
    reference_data_load()
    password = password or settings.DEMO_PASSWORD
    for demo_user in DEMO_USERS:
        if not User.objects.filter(username=demo_user.username).exists():
            user_create(
                username=demo_user.username,
                role=demo_user.role,
                password=password,
                organization_code=demo_user.organization,
                office_code=demo_user.office,
                partner_code=demo_user.partner,
                first_name=demo_user.first_name,
                last_name=demo_user.last_name,
                email=f"{demo_user.username}@example.mil",
            )
    coordinators = []
    for office in CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True):
        user = User.objects.filter(role=Role.COORDINATOR, coordinating_office=office).order_by("pk").first()
        if user is None:
            first_name, last_name = COORDINATOR_NAMES.get(office.code, ("", ""))
            user = user_create(
                username=f"coord_{office.code.lower()}",
                role=Role.COORDINATOR,
                password=password,
                office_code=office.code,
                email=f"coord_{office.code.lower()}@example.mil",
                first_name=first_name,
                last_name=last_name,
            )
        coordinators.append(user)
    return Cast(
        program_office=User.objects.get(username="program_office"),
        reviewer=User.objects.get(username="reviewer"),
        coordinators=coordinators,
    )


def program_office_for(organization: Organization, password: str | None = None) -> User:
    """The first program office user of ``organization``, created when it has none."""
    user = User.objects.filter(role=Role.PROGRAM_OFFICE, organization=organization).order_by("pk").first()
    if user is None:
        user = user_create(
            username=f"po_{organization.code.lower()}",
            role=Role.PROGRAM_OFFICE,
            password=password or settings.DEMO_PASSWORD,
            organization_code=organization.code,
        )
    return user


def propose(
    *,
    user: User,
    kind: str = AgreementKind.MASTER,
    partners: Iterable[str] = ("GBR",),
    title: str | None = None,
    authority: str = LegalAuthority.USC_2350A,
    parent: Agreement | None = None,
    years: int = 10,
    today: dt.date | None = None,
    **extra,
) -> Agreement:
    """A proposal with its partners, effective from ``today`` unless told otherwise."""
    partners = list(partners)
    start = extra.pop("effective_date", None) or today or timezone.localdate()
    expiration = extra.pop("expiration_date", start.replace(year=start.year + years))
    if parent is not None and parent.expiration_date:
        expiration = min(expiration, parent.expiration_date)
    return agreement_services.agreement_create(
        user=user,
        kind=kind,
        title=title or f"{AgreementKind(kind).label} with {', '.join(partners)}",
        partners=list(Partner.objects.filter(code__in=partners)),
        parent=parent,
        authority=authority,
        effective_date=start,
        expiration_date=expiration,
        **extra,
    )


def fill_ssoi(agreement: Agreement, user: User) -> None:
    """Write every SSOI section, ask for the DDL review and give each participant (or the loan)
    its contribution, as a program office does before the RAD. Skips what is already there."""
    today = timezone.localdate()
    agreement_services.ssoi_update(agreement=agreement, user=user, **SSOI_TEXT)
    if agreement_services.ddl_request_denial(agreement, user) is None:
        agreement_services.ddl_review_request(agreement=agreement, user=user)
    if agreement.is_section_65:
        if not agreement.loan_items.exists():
            agreement_services.loan_item_add(
                agreement=agreement,
                user=user,
                item="Prototype sensor suite",
                quantity=2,
                unit_value_usd=Decimal("1250000.00"),
                return_by=today + dt.timedelta(days=3 * 365),
            )
        return
    if not agreement.contributions.filter(participant__isnull=True).exists():
        agreement_services.contribution_add(
            agreement=agreement,
            user=user,
            description="U.S. share of project costs",
            amount_usd=Decimal(5_000_000),
            fiscal_year=today.year,
        )
    for index, participant in enumerate(agreement.participants.all()):
        if not participant.contributions.exists():
            agreement_services.contribution_add(
                participant=participant,
                user=user,
                description="Share of project costs",
                amount_usd=Decimal(4_000_000 + 1_500_000 * index),
                fiscal_year=today.year,
            )


def attach(agreement: Agreement, user: User, kind: str, releasable: bool = False) -> None:
    """Upload a short text document of ``kind``, unless the agreement already has one."""
    if agreement.documents.filter(kind=kind).exists():
        return
    label = DocumentKind(kind).label
    agreement_services.document_upload(
        agreement=agreement,
        user=user,
        kind=kind,
        content=f"{agreement.reference} — {label}\n\n{agreement.title}\n".encode(),
        filename=f"{kind}.txt",
        content_type="text/plain",
        releasable_to_partners=releasable,
    )


def disclosure_officer() -> User:
    """A coordinator of a disclosure office (DTSA in the reference data)."""
    return (
        User.objects.filter(role=Role.COORDINATOR, is_active=True, coordinating_office__is_disclosure_office=True)
        .select_related("coordinating_office")
        .order_by("pk")
        .first()
    )


def approve_ddl(agreement: Agreement, *, decision_date: dt.date | None = None) -> None:
    """The disclosure office approves the agreement's DDL, attaching the letter (once)."""
    if agreement_services.ddl_for(agreement).status == DdlStatus.APPROVED:
        return
    agreement_services.ddl_decide(
        agreement=agreement,
        user=disclosure_officer(),
        status=DdlStatus.APPROVED,
        decision_date=decision_date or timezone.localdate(),
        content=f"{agreement.reference} — Delegation of Disclosure Authority Letter\n".encode(),
        filename="ddl.txt",
        content_type="text/plain",
    )


def concur_all(agreement: Agreement, coordinators: Iterable[User]) -> None:
    """Each coordinator concurs for its office on the agreement's current round, where the
    office has not answered yet."""
    by_office = {}
    for coordinator in coordinators:
        by_office.setdefault(coordinator.coordinating_office_id, coordinator)
    round_ = CoordinationRound.objects.current_for(agreement)
    for position in round_.positions.select_related("office"):
        coordinator = by_office.get(position.office_id)
        if coordinator is not None and position.status == PositionStatus.PENDING:
            services.coordination_position_record(
                position=position, user=coordinator, status=PositionStatus.CONCUR, comment=""
            )


def _step(agreement: Agreement, name: str, user: User | None, **data) -> None:
    services.agreement_transition(agreement=agreement, name=name, user=user, **data)


def days_to_reach(target: str) -> int:
    """Days the main line takes from a proposal to ``target`` (terminal states at their branch)."""
    branch = {
        State.WITHDRAWN: State.SSOI_DRAFTING,
        State.DISAPPROVED: State.RAD_REVIEW,
        State.TERMINATED: State.IN_FORCE,
        State.EXPIRED: State.IN_FORCE,
    }
    last = branch.get(target, target)
    steps = list(LIFECYCLE_STEPS)
    days = sum(STEP_DAYS[s] for s in steps[: steps.index(last)])
    return days + (STEP_DAYS[last] if target in branch else 0)


def _sign(agreement: Agreement, po: User, today: dt.date) -> None:
    """The next signature: the United States first, then each participant in turn."""
    if not agreement.us_signature_date:
        _step(
            agreement,
            TransitionName.RECORD_SIGNATURE,
            po,
            participant=None,
            signature_date=today,
            signatory_name="Under Secretary of Defense (A&S)",
            signatory_title="USD(A&S)",
        )
        return
    unsigned = [p for p in agreement.participants.select_related("partner") if not p.signature_date]
    if unsigned:
        _step(
            agreement,
            TransitionName.RECORD_SIGNATURE,
            po,
            participant=unsigned[0].pk,
            signature_date=today,
            signatory_name=f"Minister of Defence, {unsigned[0].partner.name}",
            signatory_title="Minister",
        )


def drive_to(agreement: Agreement, target: str, cast: Cast, clock: DemoClock | None = None) -> Agreement:
    """Move an agreement along the main line until it reaches ``target``, as its users would.
    Terminal targets branch off at the natural point. With a ``clock``, each step happens the
    typical number of days after the one before, and an agreement expires on its expiration
    date; without one, it expires only if that date has come."""
    po = program_office_for(agreement.lead_organization) if agreement.lead_organization_id else cast.program_office
    reviewer = cast.reviewer
    while agreement.state != target:
        state = agreement.state
        if clock is not None:
            clock.advance(STEP_DAYS.get(state, 1))
        today = timezone.localdate()
        if target == State.WITHDRAWN and state in (State.PROPOSAL, State.SSOI_DRAFTING, State.NEGOTIATION):
            _step(agreement, TransitionName.WITHDRAW, po, comment="The partner has withdrawn its interest.")
        elif target == State.DISAPPROVED and state == State.RAD_REVIEW:
            _step(agreement, TransitionName.DISAPPROVE, reviewer, comment="Equitability is not demonstrated.")
        elif state == State.PROPOSAL:
            _step(agreement, TransitionName.START_SSOI, po)
        elif state == State.SSOI_DRAFTING:
            fill_ssoi(agreement, po)
            attach(agreement, po, DocumentKind.DRAFT_TEXT)
            _step(agreement, TransitionName.SUBMIT_RAD, po)
        elif state == State.RAD_REVIEW:
            concur_all(agreement, cast.coordinators)
            _step(agreement, TransitionName.AUTHORIZE_NEGOTIATION, reviewer)
        elif state == State.NEGOTIATION:
            approve_ddl(agreement)
            attach(agreement, po, DocumentKind.NEGOTIATED_TEXT, releasable=True)
            agreement_services.ssoi_update(agreement=agreement, user=po, ddl_notes=SSOI_TEXT["ddl_notes"])
            _step(agreement, TransitionName.SUBMIT_RFA, po)
        elif state == State.RFA_REVIEW:
            concur_all(agreement, cast.coordinators)
            _step(agreement, TransitionName.APPROVE_CONCLUSION, reviewer)
        elif state == State.CONGRESSIONAL_WAIT:
            if agreement.congressional_notice_date is None:
                notice = today if clock else today - dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS + 1)
                services.congressional_notice_record(agreement=agreement, user=reviewer, notice_date=notice)
                if clock is not None:
                    clock.advance(settings.CONGRESSIONAL_WAIT_DAYS + 1)
                agreement.refresh_from_db()
                continue
            _step(agreement, TransitionName.END_CONGRESSIONAL_WAIT, None)
        elif state in (State.APPROVED, State.SIGNING):
            _sign(agreement, po, today)
            agreement.refresh_from_db()
            if target == State.SIGNING and agreement.state == State.SIGNING:
                break
        elif state == State.SIGNED:
            _step(agreement, TransitionName.ENTER_INTO_FORCE, None)
        elif state == State.IN_FORCE and target == State.TERMINATED:
            attach(agreement, reviewer, DocumentKind.NOTICE)
            _step(agreement, TransitionName.TERMINATE, reviewer, comment="Terminated by mutual written consent.")
        elif state == State.IN_FORCE and target == State.EXPIRED:
            if clock is not None and agreement.expiration_date > today:
                clock.advance((agreement.expiration_date - today).days)  # the day it expires
            _step(agreement, TransitionName.EXPIRE, None)
        else:
            raise ValueError(f"Cannot drive {agreement.reference} from {state} to {target}.")
        agreement.refresh_from_db()
    return agreement


def _seed_one(entry: DemoAgreement, cast: Cast, today: dt.date, clock: ClockFactory | None) -> None:
    parent = Agreement.objects.get(short_title=entry.parent) if entry.parent else None
    fields = dict(entry.fields)
    if entry.entry_into_force_in is not None:
        fields["fixed_entry_into_force_date"] = today + dt.timedelta(days=entry.entry_into_force_in)
    days_ago = days_to_reach(entry.target) + entry.dwell
    effective = today - dt.timedelta(days=days_ago) + dt.timedelta(days=30)
    expiration = effective.replace(year=effective.year + entry.years)
    if entry.target == State.EXPIRED:
        expiration = today - dt.timedelta(days=1)
    if parent is not None:
        effective = max(effective, parent.effective_date)
    with clock(days_ago) if clock is not None else contextlib.nullcontext() as moving:
        agreement = propose(
            user=cast.program_office,
            kind=entry.kind,
            partners=entry.partners,
            title=entry.title,
            short_title=entry.short_title,
            authority=entry.authority,
            parent=parent,
            effective_date=effective,
            expiration_date=expiration,
            **fields,
        )
        drive_to(agreement, entry.target, cast, clock=moving)
    if entry.returned:
        _step(agreement, TransitionName.RETURN_FOR_REVISION, cast.reviewer, comment=entry.returned)
    if entry.target == State.IN_FORCE and entry.dwell > 60:
        # An agreement long in force has met its reporting obligations (those already due).
        for obligation in agreement.obligations.all():
            completed = obligation.due_date - dt.timedelta(days=3)
            if completed > timezone.localdate():
                continue
            services.obligation_complete(
                obligation=obligation,
                user=program_office_for(agreement.lead_organization),
                completed_date=completed,
                notes="Transmitted on time.",
            )


@transaction.atomic
def seed_demo(*, clock: ClockFactory | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Reference data, demo users and a dozen agreements in every state. Idempotent: an agreement
    whose short title already exists is left as it is. ``clock(days_ago)`` dates each history
    from that many days before ``today``; without it, everything happens today."""
    today = today or timezone.localdate()
    cast = ensure_cast()
    created = 0
    for entry in DEMO_AGREEMENTS:
        if Agreement.objects.filter(short_title=entry.short_title).exists():
            continue
        _seed_one(entry, cast, today, clock)
        created += 1
    return {"agreements": created, "users": User.objects.count()}
