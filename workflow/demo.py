"""Demo data built through the real services, so every demo agreement has a true history.
Used by ``manage.py seed_demo`` and by the tests that need an agreement in a given state."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import LIFECYCLE_STEPS, AgreementKind, DdlStatus, DocumentKind, LegalAuthority, State
from agreements.models import Agreement
from partners.models import CoordinatingOffice, Organization, Partner, Role, User
from partners.services import reference_data_load, user_create

from . import services
from .models import CoordinationRound, PositionStatus

DEMO_USERS = (
    # username, role, organization, office, partner, first, last
    ("program_office", Role.PROGRAM_OFFICE, "ARMY", None, None, "Pat", "Morgan"),
    ("coordinator", Role.COORDINATOR, None, "OGC", None, "Casey", "Reed"),
    ("reviewer", Role.REVIEWER, None, None, None, "Robin", "Hale"),
    ("liaison", Role.LIAISON, None, None, "GBR", "Alex", "Whitfield"),
    ("admin", Role.ADMIN, None, None, None, "Sam", "Admin"),
)

# Names of the demo coordinators created for the offices that have no user yet.
COORDINATOR_NAMES = {
    "POLICY": ("Jordan", "Ellis"),
    "COMPT": ("Morgan", "Price"),
    "DTSA": ("Avery", "Quinn"),
    "IPO": ("Taylor", "Brooks"),
    "OGC": ("Riley", "Stone"),
}

SSOI_TEXT = {
    "objectives": "Mature and jointly evaluate the technology described in the scope of work to TRL 6.",
    "scope_of_work": "Joint design, modelling and simulation, prototype fabrication and field trials.",
    "benefits_to_dod": "Access to partner test ranges and expertise; shared cost of prototype development.",
    "benefits_to_partners": "Access to U.S. test data and shared development of interoperable capability.",
    "management_structure": "A steering committee of one member per participant; project officers run day-to-day work.",
    "in_kind_valuation": "Personnel at fully burdened labour rates; facilities at published range rates.",
    "cost_share_rationale": "Each participant contributes in proportion to its expected use of the results.",
    "contracting_approach": "Each participant contracts under its own national procedures.",
    "project_equipment": "Prototype hardware remains the property of the providing participant.",
    "disclosure_and_use": "Project information shared for the purposes of the project and defence purposes.",
    "security_classification": "Up to SECRET; CUI handled under the agreement's CUI section.",
    "ddl_notes": "DDL approved by the Component's foreign disclosure office.",
    "third_party_transfer": "No transfer to third parties without the prior written consent of all participants.",
    "duration": "Five years from entry into force, extendable by amendment.",
    "congressional_notice": "Notice applies where the authority or a partner requires it.",
    "nato_mnna_confirmation": "The recipient is a NATO member / major non-NATO ally.",
    "loan_period": "Three years from delivery.",
    "return_terms": "Returned in the same condition, less fair wear and tear, at the borrower's expense.",
    "consumption_determination": "Test rounds may be consumed in the course of the project.",
}


@dataclass
class Cast:
    """The people who move an agreement through its lifecycle."""

    program_office: User
    reviewer: User
    coordinators: list[User]


def _today() -> dt.date:
    return timezone.localdate()


def ensure_cast(password: str | None = None) -> Cast:
    """Reference data, the demo users, and one coordinator per default office. Idempotent."""
    reference_data_load()
    password = password or settings.DEMO_PASSWORD
    for username, role, org, office, partner, first, last in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                role=role,
                password=password,
                organization_code=org,
                office_code=office,
                partner_code=partner,
                first_name=first,
                last_name=last,
                email=f"{username}@example.mil",
            )
    coordinators = []
    for office in CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True):
        user = User.objects.filter(role=Role.COORDINATOR, coordinating_office=office).order_by("pk").first()
        if user is None:
            user = user_create(
                username=f"coord_{office.code.lower()}",
                role=Role.COORDINATOR,
                password=password,
                office_code=office.code,
                email=f"coord_{office.code.lower()}@example.mil",
                first_name=COORDINATOR_NAMES.get(office.code, ("", ""))[0],
                last_name=COORDINATOR_NAMES.get(office.code, ("", ""))[1],
            )
        coordinators.append(user)
    return Cast(
        program_office=User.objects.get(username="program_office"),
        reviewer=User.objects.get(username="reviewer"),
        coordinators=coordinators,
    )


def program_office_for(organization: Organization, password: str | None = None) -> User:
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
    partners=("GBR",),
    title: str | None = None,
    authority: str = LegalAuthority.USC_2350A,
    parent: Agreement | None = None,
    years: int = 10,
    **extra,
) -> Agreement:
    """A proposal with its partners, dated from today."""
    start = extra.pop("effective_date", _today())
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


def _fill_ssoi(agreement: Agreement, user: User) -> None:
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
                return_by=_today() + dt.timedelta(days=3 * 365),
            )
    else:
        if not agreement.contributions.filter(participant__isnull=True).exists():
            agreement_services.contribution_add(
                agreement=agreement,
                user=user,
                description="U.S. share of project costs",
                amount_usd=Decimal(5_000_000),
                fiscal_year=_today().year,
            )
        for index, participant in enumerate(agreement.participants.all()):
            if not participant.contributions.exists():
                agreement_services.contribution_add(
                    participant=participant,
                    user=user,
                    description="Share of project costs",
                    amount_usd=Decimal(4_000_000 + 1_500_000 * index),
                    fiscal_year=_today().year,
                )


def _attach(agreement: Agreement, user: User, kind: str, releasable: bool = False) -> None:
    if not agreement.documents.filter(kind=kind).exists():
        label = DocumentKind(kind).label
        content = f"{agreement.reference} — {label}\n\n{agreement.title}\n".encode()
        agreement_services.document_upload(
            agreement=agreement,
            user=user,
            kind=kind,
            content=content,
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
    officer = disclosure_officer()
    agreement_services.ddl_decide(
        agreement=agreement,
        user=officer,
        status=DdlStatus.APPROVED,
        decision_date=decision_date or _today(),
        content=f"{agreement.reference} — Delegation of Disclosure Authority Letter\n".encode(),
        filename="ddl.txt",
        content_type="text/plain",
    )


def _concur_all(agreement: Agreement, cast: Cast) -> None:
    round_ = CoordinationRound.objects.current_for(agreement)
    for position in round_.positions.select_related("office"):
        coordinator = next((c for c in cast.coordinators if c.coordinating_office_id == position.office_id), None)
        if coordinator is not None and position.status == PositionStatus.PENDING:
            services.coordination_position_record(
                position=position, user=coordinator, status=PositionStatus.CONCUR, comment=""
            )


def _step(agreement: Agreement, name: str, user: User | None, **data) -> None:
    services.agreement_transition(agreement=agreement, name=name, user=user, **data)


# Days a demo agreement spends in each state before its next step (coordination answers come
# before the 21-day silence deadline).
STEP_DAYS = {
    State.PROPOSAL: 12,
    State.SSOI_DRAFTING: 45,
    State.RAD_REVIEW: 18,
    State.NEGOTIATION: 150,
    State.RFA_REVIEW: 19,
    State.CONGRESSIONAL_WAIT: 1,
    State.APPROVED: 9,
    State.SIGNING: 6,
    State.SIGNED: 0,  # only with a fixed entry-into-force date, which the sweep then meets
    State.IN_FORCE: 240,
}


class DemoClock:
    """Moves the whole process's clock (time-machine) so demo histories span months, never
    past the real present."""

    def __init__(self, days_ago: int):
        import time_machine

        self._real_now = timezone.now()
        self._traveller = time_machine.travel(self._real_now - dt.timedelta(days=days_ago), tick=False)
        self._coordinates = None

    def __enter__(self) -> DemoClock:
        self._coordinates = self._traveller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._traveller.stop()

    def advance(self, days: int) -> None:
        room = self._real_now - dt.timedelta(minutes=5) - timezone.now()
        step = min(dt.timedelta(days=days), max(room, dt.timedelta(0)))
        self._coordinates.shift(step)


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


def drive_to(agreement: Agreement, target: str, cast: Cast, clock: DemoClock | None = None) -> Agreement:
    """Move an agreement along the main line until it reaches ``target``, as its users would.
    Terminal targets branch off at the natural point. With a ``clock``, each step happens the
    typical number of days after the one before."""
    po = program_office_for(agreement.lead_organization) if agreement.lead_organization_id else cast.program_office
    reviewer = cast.reviewer
    while agreement.state != target:
        state = agreement.state
        if clock is not None:
            clock.advance(STEP_DAYS.get(state, 1))
        today = _today()
        if target == State.WITHDRAWN and state in (State.PROPOSAL, State.SSOI_DRAFTING, State.NEGOTIATION):
            _step(agreement, "withdraw", po, comment="The partner has withdrawn its interest.")
        elif target == State.DISAPPROVED and state == State.RAD_REVIEW:
            _step(agreement, "disapprove", reviewer, comment="Equitability is not demonstrated.")
        elif state == State.PROPOSAL:
            _step(agreement, "start_ssoi", po)
        elif state == State.SSOI_DRAFTING:
            _fill_ssoi(agreement, po)
            _attach(agreement, po, DocumentKind.DRAFT_TEXT)
            _step(agreement, "submit_rad", po)
        elif state == State.RAD_REVIEW:
            _concur_all(agreement, cast)
            _step(agreement, "authorize_negotiation", reviewer)
        elif state == State.NEGOTIATION:
            approve_ddl(agreement)
            _attach(agreement, po, DocumentKind.NEGOTIATED_TEXT, releasable=True)
            agreement_services.ssoi_update(agreement=agreement, user=po, ddl_notes=SSOI_TEXT["ddl_notes"])
            _step(agreement, "submit_rfa", po)
        elif state == State.RFA_REVIEW:
            _concur_all(agreement, cast)
            _step(agreement, "approve_conclusion", reviewer)
        elif state == State.CONGRESSIONAL_WAIT:
            if agreement.congressional_notice_date is None:
                notice = today if clock else today - dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS + 1)
                services.congressional_notice_record(agreement=agreement, user=reviewer, notice_date=notice)
                if clock is not None:
                    clock.advance(settings.CONGRESSIONAL_WAIT_DAYS + 1)
                agreement.refresh_from_db()
                continue
            _step(agreement, "end_congressional_wait", None)
        elif state in (State.APPROVED, State.SIGNING):
            unsigned = [p for p in agreement.participants.select_related("partner") if not p.signature_date]
            if not agreement.us_signature_date:
                _step(
                    agreement,
                    "record_signature",
                    po,
                    participant=None,
                    signature_date=today,
                    signatory_name="Under Secretary of Defense (A&S)",
                    signatory_title="USD(A&S)",
                )
            elif unsigned:
                _step(
                    agreement,
                    "record_signature",
                    po,
                    participant=unsigned[0].pk,
                    signature_date=today,
                    signatory_name=f"Minister of Defence, {unsigned[0].partner.name}",
                    signatory_title="Minister",
                )
            if target == State.SIGNING and agreement.state == State.SIGNING:
                break
        elif state == State.SIGNED:
            _step(agreement, "enter_into_force", None)
        elif state == State.IN_FORCE and target == State.TERMINATED:
            _attach(agreement, reviewer, DocumentKind.NOTICE)
            _step(agreement, "terminate", reviewer, comment="Terminated by mutual written consent.")
        elif state == State.IN_FORCE and target == State.EXPIRED:
            with mock.patch("django.utils.timezone.localdate", return_value=agreement.expiration_date):
                _step(agreement, "expire", None)
        else:
            raise ValueError(f"Cannot drive {agreement.reference} from {state} to {target}.")
        agreement.refresh_from_db()
    return agreement


# (title, short title, kind, partners, authority, target state, extra)
DEMO_AGREEMENTS = (
    (
        "Master Research, Development, Test and Evaluation Agreement with the United Kingdom",
        "UK RDT&E MOU",
        AgreementKind.MASTER,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.IN_FORCE,
        {"releasable_to_partners": True, "dwell": 420},
    ),
    (
        "Master RDT&E Agreement with Australia",
        "AUS RDT&E MOU",
        AgreementKind.MASTER,
        ("AUS",),
        LegalAuthority.USC_2350A,
        State.IN_FORCE,
        {"dwell": 380},
    ),
    (
        "Hypersonic Flight Test Cooperation Project Arrangement",
        "HyFliTE PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.RAD_REVIEW,
        {"parent": "UK RDT&E MOU", "releasable_to_partners": True},
    ),
    (
        "Counter-UAS Sensor Fusion Project Arrangement",
        "C-UAS Fusion PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.NEGOTIATION,
        {"parent": "UK RDT&E MOU", "releasable_to_partners": True},
    ),
    (
        "Quantum Navigation Project Arrangement",
        "Q-NAV PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("AUS",),
        LegalAuthority.USC_2350A,
        State.SSOI_DRAFTING,
        {"parent": "AUS RDT&E MOU"},
    ),
    (
        "Next Generation Rotorcraft Production MOU",
        "NGR Production MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("GBR", "ITA", "NLD"),
        LegalAuthority.AECA_27,
        State.CONGRESSIONAL_WAIT,
        {"phase": "production", "releasable_to_partners": True},
    ),
    (
        "Maritime Unmanned Systems Development MOU",
        "MUS Development MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("NOR", "DNK"),
        LegalAuthority.AECA_27,
        State.RFA_REVIEW,
        {"phase": "development", "dwell": 25},
    ),
    (
        "Loan of Radar Test Equipment to Japan",
        "JPN Radar Loan",
        AgreementKind.SECTION_65_LOAN,
        ("JPN",),
        LegalAuthority.AECA_65,
        State.SIGNING,
        {},
    ),
    (
        "Logistics Support Cooperation Agreement with the NATO Support and Procurement Agency",
        "NSPA Logistics MOU",
        AgreementKind.MASTER,
        ("NSPA",),
        LegalAuthority.USC_2350A,
        State.SIGNED,
        {"fixed_entry_into_force_date": 45},  # days from today
    ),
    (
        "Cooperative Space Situational Awareness Sensor Sustainment MOU",
        "SSA Sustainment MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("GBR", "CAN", "AUS"),
        LegalAuthority.USC_2350A,
        State.APPROVED,
        {"phase": "sustainment", "releasable_to_partners": True},
    ),
    (
        "Counter-Drone Electronic Warfare Research MOU",
        "C-Drone EW MOU",
        AgreementKind.MASTER,
        ("SWE",),
        LegalAuthority.USC_2350A,
        State.RAD_REVIEW,
        {
            "dwell": 3,
            "returned": "Quantify Sweden's in-kind test-range contribution and restate the cost-share "
            "rationale; the Comptroller cannot concur as drafted.",
        },
    ),
    (
        "Directed Energy Cooperative Research with India",
        "IND DE Research",
        AgreementKind.MASTER,
        ("IND",),
        LegalAuthority.USC_2350A,
        State.PROPOSAL,
        {},
    ),
    (
        "Armoured Vehicle Protection Follow-on Development MOU",
        "AVP FoD MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("DEU", "FRA"),
        LegalAuthority.AECA_27,
        State.WITHDRAWN,
        {"phase": "follow_on_development"},
    ),
    (
        "Undersea Acoustics Research MOU",
        "Undersea Acoustics MOU",
        AgreementKind.MASTER,
        ("NOR",),
        LegalAuthority.USC_2350A,
        State.DISAPPROVED,
        {},
    ),
    (
        "Legacy Munitions Research MOU",
        "Legacy Munitions MOU",
        AgreementKind.MASTER,
        ("ESP",),
        LegalAuthority.USC_2350A,
        State.TERMINATED,
        {},
    ),
    (
        "Cold Weather Mobility Research MOU",
        "Cold Weather MOU",
        AgreementKind.MASTER,
        ("FIN",),
        LegalAuthority.USC_2350A,
        State.EXPIRED,
        {"years": 1},
    ),
)


def _demo_clock(days_ago: int) -> DemoClock | None:
    try:
        return DemoClock(days_ago)
    except ImportError:  # time-machine is a development dependency: without it, history is dated today
        return None


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Reference data, demo users and a dozen agreements in every state. Idempotent: an agreement
    whose short title already exists is left as it is."""
    cast = ensure_cast()
    created = 0
    for title, short, kind, partners, authority, target, extra in DEMO_AGREEMENTS:
        if Agreement.objects.filter(short_title=short).exists():
            continue
        extra = dict(extra)
        years = extra.pop("years", 10)
        dwell = extra.pop("dwell", 7)  # days since the last step
        returned = extra.pop("returned", None)  # a reviewer's return-for-revision comment
        parent_short = extra.pop("parent", None)
        parent = Agreement.objects.get(short_title=parent_short) if parent_short else None
        if "fixed_entry_into_force_date" in extra:
            extra["fixed_entry_into_force_date"] = _today() + dt.timedelta(days=extra["fixed_entry_into_force_date"])
        days_ago = days_to_reach(target) + dwell
        effective = _today() - dt.timedelta(days=days_ago) + dt.timedelta(days=30)
        expiration = effective.replace(year=effective.year + years)
        if target == State.EXPIRED:
            expiration = _today() - dt.timedelta(days=1)
        if parent is not None:
            effective = max(effective, parent.effective_date)
        clock = _demo_clock(days_ago)
        with clock or contextlib.nullcontext():
            agreement = propose(
                user=cast.program_office,
                kind=kind,
                partners=partners,
                title=title,
                short_title=short,
                authority=authority,
                parent=parent,
                effective_date=effective,
                expiration_date=expiration,
                **extra,
            )
            drive_to(agreement, target, cast, clock=clock)
        if returned:
            _step(agreement, "return_for_revision", cast.reviewer, comment=returned)
        if target == State.IN_FORCE and dwell > 60:
            # An agreement long in force has met its reporting obligations.
            for obligation in agreement.obligations.all():
                services.obligation_complete(
                    obligation=obligation,
                    user=program_office_for(agreement.lead_organization),
                    completed_date=obligation.due_date - dt.timedelta(days=3),
                    notes="Transmitted on time.",
                )
        created += 1
    return {"agreements": created, "users": User.objects.count()}
