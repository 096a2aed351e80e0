"""Factories for the test suite (factory_boy).

Where a rule applies, a factory builds through the service a user's action goes through, so a
test's data passes the same checks as real data: users through ``user_create``, agreements
through ``agreement_create`` and then the lifecycle services (the demo driver) to the state asked
for, participants, contributions, loan items, SSOI sections and documents through the agreements
services, coordination answers through ``coordination_position_record``. Reference rows
(partners, organizations, offices) have no rule: they are fetched by code, created if missing.

    agreement = AgreementFactory(state=State.NEGOTIATION, partners=("GBR", "FRA"))
    DocumentFactory(agreement=agreement, kind=DocumentKind.NEGOTIATED_TEXT)
    concur_all(agreement, cast.coordinators)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import factory
import time_machine
from django.utils import timezone
from factory.django import DjangoModelFactory

from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, DdlStatus, DocumentKind, LegalAuthority, State, SystemPhase
from agreements.models import SSOI, Agreement, Contribution, DdlDecision, Document, LoanItem, Participant
from partners.models import CoordinatingOffice, Organization, Partner, PartnerKind, Role, User
from partners.services import user_create
from workflow import demo
from workflow.models import CoordinationPosition, CoordinationRound, PositionStatus
from workflow.services import coordination_position_record

PASSWORD = "correct-horse-battery-staple"


def demo_cast(password: str = PASSWORD) -> demo.Cast:
    """The demo cast: reference data, one user per role, one coordinator per default office."""
    return demo.ensure_cast(password=password)


def disclosure_officer() -> User:
    """A coordinator of a disclosure office (DTSA in the reference data), who decides DDLs."""
    return demo.disclosure_officer()


def lead_program_office(agreement: Agreement) -> User:
    """The program office that edits ``agreement``: its lead organization's first one."""
    return demo.program_office_for(agreement.lead_organization, password=PASSWORD)


def office_coordinator(office: CoordinatingOffice) -> User:
    """The office's first coordinator, created when it has none."""
    user = User.objects.filter(role=Role.COORDINATOR, coordinating_office=office).order_by("pk").first()
    return user or CoordinatorFactory(coordinating_office=office)


# --- reference data ------------------------------------------------------------------------------
class PartnerFactory(DjangoModelFactory):
    """A partner nation, fetched by its code when the reference data has it."""

    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"X{n:02d}")
    name = factory.LazyAttribute(lambda p: f"Partner {p.code}")
    kind = PartnerKind.NATION
    is_nato_member = True


class OrganizationFactory(DjangoModelFactory):
    """A DoD organization (the Army by default), fetched by its code."""

    class Meta:
        model = Organization
        django_get_or_create = ("code",)

    code = "ARMY"
    name = factory.LazyAttribute(lambda o: f"Organization {o.code}")


class CoordinatingOfficeFactory(DjangoModelFactory):
    """A coordinating office (DoD General Counsel by default), fetched by its code."""

    class Meta:
        model = CoordinatingOffice
        django_get_or_create = ("code",)

    code = "OGC"
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")


# --- users, one factory per role ---------------------------------------------------------------
class UserFactory(DjangoModelFactory):
    """A portal user made by ``user_create`` (role checks, password validation)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n:03d}")
    role = Role.REVIEWER
    password = PASSWORD
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.mil")
    first_name = ""
    last_name = ""
    organization = None
    coordinating_office = None
    partner = None

    @classmethod
    def _create(cls, model_class, *, organization=None, coordinating_office=None, partner=None, **fields) -> User:
        return user_create(
            organization_code=organization.code if organization else None,
            office_code=coordinating_office.code if coordinating_office else None,
            partner_code=partner.code if partner else None,
            **fields,
        )


class ProgramOfficeFactory(UserFactory):
    """A program office of the Army (pass ``organization`` for another)."""

    username = factory.Sequence(lambda n: f"po{n:03d}")
    role = Role.PROGRAM_OFFICE
    organization = factory.SubFactory(OrganizationFactory)


class CoordinatorFactory(UserFactory):
    """A coordinator of DoD General Counsel (pass ``coordinating_office`` for another)."""

    username = factory.Sequence(lambda n: f"coordinator{n:03d}")
    role = Role.COORDINATOR
    coordinating_office = factory.SubFactory(CoordinatingOfficeFactory)


class ReviewerFactory(UserFactory):
    """An ICP reviewer."""

    username = factory.Sequence(lambda n: f"reviewer{n:03d}")
    role = Role.REVIEWER


class LiaisonFactory(UserFactory):
    """A liaison of the United Kingdom (pass ``partner`` for another)."""

    username = factory.Sequence(lambda n: f"liaison{n:03d}")
    role = Role.LIAISON
    partner = factory.SubFactory(PartnerFactory, code="GBR")


class AdminFactory(UserFactory):
    """A portal administrator."""

    username = factory.Sequence(lambda n: f"admin{n:03d}")
    role = Role.ADMIN


# --- agreements of each kind -------------------------------------------------------------------
class AgreementFactory(DjangoModelFactory):
    """A proposal made through ``agreement_create`` by the cast's program office (the Army), then
    moved to ``state`` by its users through the lifecycle services, as the demo does. ``cast`` is
    the demo cast (reference data, one user per role, one coordinator per default office); pass
    the test's own to save building it again. Any other keyword is a field of the proposal."""

    class Meta:
        model = Agreement

    state = State.PROPOSAL
    cast = None  # built on first need
    user = factory.LazyAttribute(lambda o: (o.cast or demo_cast()).program_office)
    kind = AgreementKind.MASTER
    partners = ("GBR",)
    authority = factory.LazyAttribute(
        lambda o: LegalAuthority.AECA_65 if o.kind == AgreementKind.SECTION_65_LOAN else LegalAuthority.USC_2350A
    )

    @classmethod
    def _create(cls, model_class, *, state: str, cast: demo.Cast | None, **fields) -> Agreement:
        today = timezone.localdate()
        if state == State.SIGNED:  # signed and waiting: the text fixes a later entry into force
            fields.setdefault("fixed_entry_into_force_date", today + dt.timedelta(days=30))
        if state == State.EXPIRED and fields.get("parent") is None:
            # An agreement expires once its expiration date has come: a year's term ending today.
            fields.setdefault("effective_date", today - dt.timedelta(days=365))
            fields.setdefault("expiration_date", today)
        agreement = demo.propose(**fields)
        if state == State.PROPOSAL:
            return agreement
        return drive_to(agreement, state, cast)


def drive_to(agreement: Agreement, state: str, cast: demo.Cast | None = None) -> Agreement:
    """``agreement`` moved on to ``state`` by its users through the lifecycle services (the demo
    driver). An agreement expires only once its expiration date has come: when that date is
    still ahead, the clock is moved to it for the expiry alone."""
    cast = cast or demo_cast()
    if state != State.EXPIRED or agreement.expiration_date is None:
        return demo.drive_to(agreement, state, cast)
    agreement = demo.drive_to(agreement, State.IN_FORCE, cast)
    if agreement.expiration_date <= timezone.localdate():
        return demo.drive_to(agreement, State.EXPIRED, cast)
    expiry_day = dt.datetime.combine(agreement.expiration_date, dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(expiry_day, tick=False):
        return demo.drive_to(agreement, State.EXPIRED, cast)


class ProjectArrangementFactory(AgreementFactory):
    """A project arrangement under a master agreement in force with the same partners."""

    kind = AgreementKind.PROJECT_ARRANGEMENT
    parent = factory.SubFactory(
        AgreementFactory,
        state=State.IN_FORCE,
        cast=factory.SelfAttribute("..cast"),
        partners=factory.SelfAttribute("..partners"),
    )


class SystemLevelAgreementFactory(AgreementFactory):
    """A system-level agreement in its development phase under AECA section 27."""

    kind = AgreementKind.SYSTEM_LEVEL
    authority = LegalAuthority.AECA_27
    phase = SystemPhase.DEVELOPMENT


class Section65LoanFactory(AgreementFactory):
    """A Section 65 loan of equipment to Japan."""

    kind = AgreementKind.SECTION_65_LOAN
    partners = ("JPN",)
    authority = LegalAuthority.AECA_65


class AmendmentFactory(AgreementFactory):
    """An amendment (a change of scope by default) to an agreement in force."""

    kind = AgreementKind.AMENDMENT
    authority = ""
    amendment_type = AmendmentType.SCOPE
    parent = factory.SubFactory(
        AgreementFactory,
        state=State.IN_FORCE,
        cast=factory.SelfAttribute("..cast"),
        partners=factory.SelfAttribute("..partners"),
    )


# --- what an agreement holds -----------------------------------------------------------------
class ParticipantFactory(DjangoModelFactory):
    """A further partner added by the lead program office (``participant_add``)."""

    class Meta:
        model = Participant

    agreement = factory.SubFactory(AgreementFactory, state=State.SSOI_DRAFTING)
    user = factory.LazyAttribute(lambda o: lead_program_office(o.agreement))
    partner = factory.SubFactory(PartnerFactory, code="FRA")

    @classmethod
    def _create(cls, model_class, **fields) -> Participant:
        return agreement_services.participant_add(**fields)


class ContributionFactory(DjangoModelFactory):
    """A financial contribution (``contribution_add``): the participant's when one is given, else
    the United States' share."""

    class Meta:
        model = Contribution

    participant = None
    agreement = factory.Maybe(
        "participant",
        yes_declaration=factory.SelfAttribute("participant.agreement"),
        no_declaration=factory.SubFactory(AgreementFactory, state=State.SSOI_DRAFTING),
    )
    user = factory.LazyAttribute(lambda o: lead_program_office(o.agreement))
    description = factory.LazyAttribute(
        lambda o: "Share of project costs" if o.participant else "U.S. share of project costs"
    )
    amount_usd = factory.LazyAttribute(lambda o: Decimal(4_000_000) if o.participant else Decimal(5_000_000))
    fiscal_year = factory.LazyFunction(lambda: timezone.localdate().year)

    @classmethod
    def _create(cls, model_class, *, agreement: Agreement, participant: Participant | None, **fields):
        if participant is not None:
            return agreement_services.contribution_add(participant=participant, **fields)
        return agreement_services.contribution_add(agreement=agreement, **fields)


class LoanItemFactory(DjangoModelFactory):
    """An item of a Section 65 loan list (``loan_item_add``)."""

    class Meta:
        model = LoanItem

    agreement = factory.SubFactory(Section65LoanFactory, state=State.SSOI_DRAFTING)
    user = factory.LazyAttribute(lambda o: lead_program_office(o.agreement))
    item = "Prototype sensor suite"
    quantity = 2
    unit_value_usd = Decimal("1250000.00")
    return_by = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3 * 365))

    @classmethod
    def _create(cls, model_class, **fields) -> LoanItem:
        return agreement_services.loan_item_add(**fields)


class SSOIFactory(DjangoModelFactory):
    """Every SSOI section written by the lead program office (``ssoi_update``), with the demo's
    text; pass ``sections`` to change some."""

    class Meta:
        model = SSOI

    agreement = factory.SubFactory(AgreementFactory, state=State.SSOI_DRAFTING)
    user = factory.LazyAttribute(lambda o: lead_program_office(o.agreement))
    sections = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *, agreement: Agreement, user: User, sections: dict) -> SSOI:
        return agreement_services.ssoi_update(agreement=agreement, user=user, **{**demo.SSOI_TEXT, **sections})


class DocumentFactory(DjangoModelFactory):
    """A short text document uploaded through ``document_upload`` (a draft text by default)."""

    class Meta:
        model = Document

    agreement = factory.SubFactory(AgreementFactory, state=State.SSOI_DRAFTING)
    user = factory.LazyAttribute(lambda o: lead_program_office(o.agreement))
    kind = DocumentKind.DRAFT_TEXT
    content = factory.LazyAttribute(
        lambda o: f"{o.agreement.reference} — {DocumentKind(o.kind).label}\n\n{o.agreement.title}\n".encode()
    )
    filename = factory.LazyAttribute(lambda o: f"{o.kind}.txt")
    content_type = "text/plain"
    releasable_to_partners = False

    @classmethod
    def _create(cls, model_class, **fields) -> Document:
        return agreement_services.document_upload(**fields)


class DdlDecisionFactory(DjangoModelFactory):
    """The disclosure office's decision on the agreement's DDL (``ddl_decide``): approved today by
    default, with the letter attached, as ``demo.approve_ddl`` does."""

    class Meta:
        model = DdlDecision

    agreement = factory.SubFactory(AgreementFactory, state=State.NEGOTIATION)
    user = factory.LazyFunction(disclosure_officer)
    status = DdlStatus.APPROVED
    decision_date = factory.LazyFunction(timezone.localdate)
    content = factory.LazyAttribute(
        lambda o: f"{o.agreement.reference} — Delegation of Disclosure Authority Letter\n".encode()
    )
    filename = "ddl.txt"
    content_type = "text/plain"

    @classmethod
    def _create(cls, model_class, **fields) -> DdlDecision:
        return agreement_services.ddl_decide(**fields)


def approve_ddl(agreement: Agreement) -> None:
    """The agreement's DDL approved by a disclosure office (``DdlDecisionFactory``), unless it
    already is."""
    if agreement_services.ddl_for(agreement).status != DdlStatus.APPROVED:
        DdlDecisionFactory(agreement=agreement)


# --- coordination ----------------------------------------------------------------------------
class CoordinationRoundFactory(DjangoModelFactory):
    """The open round of an agreement sent to coordination (the RAD by default): rounds open only
    through the lifecycle, so this drives an agreement there and returns its round."""

    class Meta:
        model = CoordinationRound

    agreement = factory.SubFactory(AgreementFactory, state=State.RAD_REVIEW)

    @classmethod
    def _create(cls, model_class, *, agreement: Agreement) -> CoordinationRound:
        return CoordinationRound.objects.current_for(agreement)


class CoordinationPositionFactory(DjangoModelFactory):
    """An office's answer on the agreement's current round, recorded by that office's coordinator
    (``coordination_position_record``). Concurrence by DoD General Counsel by default."""

    class Meta:
        model = CoordinationPosition

    agreement = factory.SubFactory(AgreementFactory, state=State.RAD_REVIEW)
    office = factory.SubFactory(CoordinatingOfficeFactory)
    user = factory.LazyAttribute(lambda o: office_coordinator(o.office))
    status = PositionStatus.CONCUR
    comment = ""

    @classmethod
    def _create(cls, model_class, *, agreement: Agreement, office: CoordinatingOffice, **fields):
        position = CoordinationRound.objects.current_for(agreement).positions.get(office=office)
        return coordination_position_record(position=position, **fields)


# --- the steps of a lifecycle, made of the factories above -----------------------------------
def fill_ssoi(agreement: Agreement, user: User) -> None:
    """What a program office does before the RAD: every SSOI section written, the DDL review asked
    for, the loan list or each participant's and the United States' contribution entered (what
    is already there is kept)."""
    SSOIFactory(agreement=agreement, user=user)
    if agreement_services.ddl_request_denial(agreement, user) is None:
        agreement_services.ddl_review_request(agreement=agreement, user=user)
    if agreement.is_section_65:
        if not agreement.loan_items.exists():
            LoanItemFactory(agreement=agreement, user=user)
        return
    if not agreement.contributions.filter(participant__isnull=True).exists():
        ContributionFactory(agreement=agreement, user=user)
    for index, participant in enumerate(agreement.participants.all()):
        if not participant.contributions.exists():
            ContributionFactory(
                agreement=agreement,
                participant=participant,
                user=user,
                amount_usd=Decimal(4_000_000 + 1_500_000 * index),
            )


def concur_all(agreement: Agreement, coordinators: Iterable[User]) -> None:
    """Each of ``coordinators`` concurs for its office on the agreement's current round, where
    the office has not answered yet (offices without one of them stay pending)."""
    by_office: dict[int, User] = {}
    for coordinator in coordinators:
        by_office.setdefault(coordinator.coordinating_office_id, coordinator)
    round_ = CoordinationRound.objects.current_for(agreement)
    for position in round_.positions.select_related("office"):
        coordinator = by_office.get(position.office_id)
        if coordinator is not None and position.status == PositionStatus.PENDING:
            CoordinationPositionFactory(agreement=agreement, office=position.office, user=coordinator)
