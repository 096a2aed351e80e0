"""Agreements of every kind, their participants, contributions, loan items, SSOI and documents."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from workflow import rules

from .choices import (
    AMENDABLE_STATES,
    INTERNAL_GENERATED_DOCUMENT_KINDS,
    PA_PARENT_STATES,
    AgreementKind,
    AmendmentType,
    ContributionKind,
    DdlStatus,
    DocumentKind,
    LegalAuthority,
    Marking,
    ParticipantRole,
    State,
    SystemPhase,
)

UNITED_STATES = "United States"


class ReferenceCounter(models.Model):
    """The last reference number handed out per year (ICP-2026-0042), allocated under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"

    @classmethod
    def next_reference(cls, year: int) -> str:
        with transaction.atomic():
            counter, _ = cls.objects.select_for_update().get_or_create(year=year)
            counter.last += 1
            counter.save(update_fields=["last"])
        return f"ICP-{year}-{counter.last:04d}"


class AgreementQuerySet(models.QuerySet):
    def open(self):
        from .choices import TERMINAL_STATES

        return self.exclude(state__in=TERMINAL_STATES)

    def with_list_relations(self):
        """What every list of agreements shows, fetched in a fixed number of queries."""
        return self.select_related("lead_organization", "parent", "action_officer").prefetch_related(
            "participants__partner"
        )


class Agreement(ConcurrentTransitionMixin, models.Model):
    """One international agreement of any kind, moved through its lifecycle by one state machine."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    external_reference = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="The identifier an imported agreement had in the office's own records (the import's key).",
    )
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=30, choices=AgreementKind.choices)
    phase = models.CharField(
        max_length=30, choices=SystemPhase.choices, blank=True, help_text="System-level agreements only."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="A project arrangement's master agreement; an amendment's agreement.",
    )
    amendment_type = models.CharField(max_length=20, choices=AmendmentType.choices, blank=True)
    new_expiration_date = models.DateField(
        null=True, blank=True, help_text="For an extension: the parent's expiration date once in force."
    )
    lead_organization = models.ForeignKey("partners.Organization", on_delete=models.PROTECT, related_name="agreements")
    action_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements_as_action_officer",
    )
    authority = models.CharField(
        max_length=20, choices=LegalAuthority.choices, blank=True, verbose_name="legal authority"
    )
    authority_text = models.CharField(
        max_length=200, blank=True, help_text="The statute when the authority is 'other', or a second one."
    )
    effective_date = models.DateField(null=True, blank=True)
    fixed_entry_into_force_date = models.DateField(
        null=True, blank=True, help_text="Set only when the text fixes a date instead of the last signature."
    )
    entry_into_force_date = models.DateField(null=True, blank=True, editable=False)
    expiration_date = models.DateField(null=True, blank=True)
    marking = models.CharField(max_length=20, choices=Marking.choices, default=Marking.CUI)
    releasable_to_partners = models.BooleanField(default=False)
    internal_notes = models.TextField("US-only internal notes", blank=True)

    state = FSMField(default=State.PROPOSAL, choices=State.choices, protected=True, db_index=True)
    state_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    congressional_notice_date = models.DateField(null=True, blank=True)
    us_signatory_name = models.CharField("U.S. signatory", max_length=200, blank=True)
    us_signatory_title = models.CharField(max_length=200, blank=True)
    us_signature_date = models.DateField(null=True, blank=True)
    master_lapsed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set on an open project arrangement when its master expired or was terminated.",
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["state_changed_at", "updated_at"])
    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The default order of every list and of the API (ties broken by id: stable pages).
            models.Index(fields=["-created_at", "-id"], name="agreement_newest_first"),
            models.Index(fields=["lead_organization", "-created_at", "-id"], name="agreement_org_newest_first"),
            # Review queue, stalled reviews, expiring agreements, and the list's other sort orders.
            models.Index(fields=["state", "state_changed_at"], name="agreement_state_since"),
            models.Index(fields=["state", "expiration_date"], name="agreement_state_expiry"),
            models.Index(fields=["expiration_date", "id"], name="agreement_expiry"),
            models.Index(fields=["effective_date", "id"], name="agreement_effective"),
            models.Index(fields=["entry_into_force_date", "id"], name="agreement_in_force_since"),
            models.Index(fields=["-state_changed_at", "id"], name="agreement_changed"),
            models.Index(fields=["title", "id"], name="agreement_title"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiration_date__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(expiration_date__gt=models.F("effective_date")),
                name="agreement_expiration_after_effective",
                violation_error_message="The expiration date must come after the effective date.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT])
                | Q(parent__isnull=False),
                name="agreement_pa_and_amendment_have_parent",
                violation_error_message="A project arrangement or amendment needs its parent agreement.",
            ),
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~Q(external_reference=""),
                name="agreement_unique_external_reference",
                violation_error_message="Another agreement already has this external reference.",
            ),
            models.CheckConstraint(
                condition=Q(kind=AgreementKind.SYSTEM_LEVEL) | Q(phase=""),
                name="agreement_phase_only_system_level",
                violation_error_message="Only a system-level agreement has a phase.",
            ),
        ]
        permissions = [("review_agreement", "Can review agreements")]

    def __str__(self) -> str:
        return f"{self.reference} {self.short_title or self.title}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = ReferenceCounter.next_reference(timezone.localdate().year)
        super().save(*args, **kwargs)

    # --- invariants -------------------------------------------------------------------------
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.effective_date and self.expiration_date and self.expiration_date <= self.effective_date:
            errors["expiration_date"] = "The expiration date must come after the effective date."
        if (
            self.fixed_entry_into_force_date
            and self.expiration_date
            and self.fixed_entry_into_force_date >= self.expiration_date
        ):
            errors["fixed_entry_into_force_date"] = (
                f"The fixed entry-into-force date {self.fixed_entry_into_force_date:%Y-%m-%d} must come before "
                f"the expiration date {self.expiration_date:%Y-%m-%d}."
            )
        if self.kind == AgreementKind.PROJECT_ARRANGEMENT:
            if self.parent_id is None:
                errors["parent"] = "A project arrangement needs its master agreement."
            elif self.parent.kind != AgreementKind.MASTER:
                errors["parent"] = (
                    f"{self.parent.reference} is a {self.parent.get_kind_display().lower()}, not a master agreement."
                )
            else:
                master = self.parent
                if master.effective_date and self.effective_date and self.effective_date < master.effective_date:
                    errors["effective_date"] = (
                        f"A project arrangement cannot take effect before its master "
                        f"{master.reference} ({master.effective_date:%Y-%m-%d})."
                    )
                if master.expiration_date and self.expiration_date and self.expiration_date > master.expiration_date:
                    errors["expiration_date"] = (
                        f"A project arrangement cannot outlive its master {master.reference}, "
                        f"which expires on {master.expiration_date:%Y-%m-%d}."
                    )
        elif self.kind == AgreementKind.AMENDMENT:
            if self.parent_id is None:
                errors["parent"] = "An amendment needs the agreement it amends."
            elif self.parent.kind == AgreementKind.AMENDMENT:
                errors["parent"] = "An amendment amends an agreement, not another amendment."
            if self.amendment_type == AmendmentType.EXTENSION and not self.new_expiration_date:
                errors["new_expiration_date"] = "An extension needs the new expiration date."
        elif self.parent_id is not None:
            errors["parent"] = "Only project arrangements and amendments have a parent agreement."
        if self.kind != AgreementKind.SYSTEM_LEVEL and self.phase:
            errors["phase"] = "Only a system-level agreement has a phase."
        if self.kind == AgreementKind.SYSTEM_LEVEL and not self.phase:
            errors["phase"] = "A system-level agreement covers a phase: choose one."
        if self.kind == AgreementKind.SECTION_65_LOAN and self.authority and self.authority != LegalAuthority.AECA_65:
            errors["authority"] = "A Section 65 loan is made under AECA §65."
        if self.authority == LegalAuthority.OTHER and not self.authority_text:
            errors["authority_text"] = "Name the statute when the authority is 'other'."
        if errors:
            raise ValidationError(errors)

    # --- derived facts ----------------------------------------------------------------------
    @property
    def is_multilateral(self) -> bool:
        """More than one foreign participant makes the agreement multilateral."""
        return len(self.participants.all()) > 1

    @property
    def needs_congressional_notice(self) -> bool:
        """AECA §27 always; 10 USC 2350a when any partner is only an 'other friendly' country."""
        if self.authority == LegalAuthority.AECA_27:
            return True
        if self.authority == LegalAuthority.USC_2350A:
            return any(p.partner.only_other_friendly for p in self.participants.all())
        return False

    @property
    def congressional_wait_ends_on(self) -> dt.date | None:
        if not self.congressional_notice_date:
            return None
        return self.congressional_notice_date + dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS)

    @property
    def all_signatures_in(self) -> bool:
        return bool(self.us_signature_date) and all(p.signature_date for p in self.participants.all())

    @property
    def effective_after_entry_into_force(self) -> bool:
        """An effective date later than the entry into force is most likely a data-entry slip:
        pages and the summary PDF flag it."""
        return bool(
            self.effective_date and self.entry_into_force_date and self.effective_date > self.entry_into_force_date
        )

    @property
    def awaits_fixed_entry_into_force(self) -> bool:
        """The text fixes an entry-into-force date that has not come yet."""
        return bool(self.fixed_entry_into_force_date and self.fixed_entry_into_force_date > timezone.localdate())

    @property
    def is_section_65(self) -> bool:
        return self.kind == AgreementKind.SECTION_65_LOAN

    # --- the lifecycle (conditions and permissions live in workflow.rules) --------------------
    @transition(
        field=state,
        source=State.PROPOSAL,
        target=State.SSOI_DRAFTING,
        conditions=[rules.has_participants, rules.has_authority],
        permission=rules.is_lead_program_office,
    )
    def start_ssoi(self):
        """The program office begins the SSOI once partners, kind and authority are set."""

    @transition(
        field=state,
        source=State.SSOI_DRAFTING,
        target=State.RAD_REVIEW,
        conditions=[
            rules.ssoi_complete,
            rules.draft_text_attached,
            rules.contributions_entered,
            rules.master_in_force,
            rules.agreement_valid,
        ],
        permission=rules.is_lead_program_office,
    )
    def submit_rad(self):
        """Send the SSOI package up as a Request for Authority to Develop (and negotiate)."""

    @transition(
        field=state,
        source=State.RAD_REVIEW,
        target=State.NEGOTIATION,
        conditions=[rules.coordination_complete],
        permission=rules.is_reviewer,
    )
    def authorize_negotiation(self):
        """OUSD(A&S) authorizes negotiation once coordination is complete."""

    @transition(field=state, source=State.RAD_REVIEW, target=State.SSOI_DRAFTING, permission=rules.is_reviewer)
    @transition(field=state, source=State.RFA_REVIEW, target=State.NEGOTIATION, permission=rules.is_reviewer)
    def return_for_revision(self):
        """The reviewer sends the package back to the program office with a comment."""

    @transition(
        field=state,
        source=[State.RAD_REVIEW, State.RFA_REVIEW],
        target=State.DISAPPROVED,
        permission=rules.is_reviewer,
    )
    def disapprove(self):
        """The reviewer ends the agreement's path with a rationale."""

    @transition(
        field=state,
        source=State.NEGOTIATION,
        target=State.RFA_REVIEW,
        conditions=[
            rules.negotiated_text_attached,
            rules.ssoi_updated_since_negotiation,
            rules.ddl_approved,
            rules.agreement_valid,
        ],
        permission=rules.is_lead_program_office,
    )
    def submit_rfa(self):
        """Send the negotiated text up as a Request for Final Approval."""

    @transition(
        field=state,
        source=State.RFA_REVIEW,
        target=RETURN_VALUE(State.CONGRESSIONAL_WAIT, State.APPROVED),
        conditions=[rules.coordination_complete],
        permission=rules.is_reviewer,
    )
    def approve_conclusion(self):
        """Approval to conclude; waits for Congress when the authority requires notice."""
        return State.CONGRESSIONAL_WAIT if self.needs_congressional_notice else State.APPROVED

    @transition(
        field=state,
        source=State.CONGRESSIONAL_WAIT,
        target=State.APPROVED,
        conditions=[rules.congressional_wait_over],
        permission=rules.is_system_or_reviewer,
    )
    def end_congressional_wait(self):
        """Notice date + the waiting period has passed: the agreement may be signed."""

    @transition(
        field=state,
        source=[State.APPROVED, State.SIGNING],
        target=RETURN_VALUE(State.SIGNING, State.SIGNED, State.IN_FORCE),
        conditions=[rules.master_in_force, rules.agreement_valid],
        permission=rules.is_lead_program_office,
    )
    def record_signature(self):
        """One more signature is in; the last one brings the agreement into force, or, when the
        text fixes a later date, leaves it signed until that date."""
        if not self.all_signatures_in:
            return State.SIGNING
        return State.SIGNED if self.awaits_fixed_entry_into_force else State.IN_FORCE

    @transition(
        field=state,
        source=State.SIGNED,
        target=State.IN_FORCE,
        conditions=[rules.fixed_entry_into_force_date_reached, rules.master_in_force, rules.agreement_valid],
        permission=rules.is_system,
    )
    def enter_into_force(self):
        """The fixed entry-into-force date has come (the portal does it on that date)."""

    @transition(
        field=state,
        source=State.IN_FORCE,
        target=State.EXPIRED,
        conditions=[rules.expiration_date_reached],
        permission=rules.is_system,
    )
    def expire(self):
        """The expiration date has come."""

    @transition(
        field=state,
        source=[State.SIGNED, State.IN_FORCE],
        target=State.TERMINATED,
        conditions=[rules.termination_notice_attached],
        permission=rules.is_reviewer,
    )
    def terminate(self):
        """Ended early by notice."""

    @transition(
        field=state,
        source=[State.PROPOSAL, State.SSOI_DRAFTING, State.NEGOTIATION],
        target=State.WITHDRAWN,
        permission=rules.is_lead_program_office,
    )
    def withdraw(self):
        """The program office abandons the proposal."""


# --- whole-agreement validation ------------------------------------------------------------------
# One place decides whether an agreement, with its partners, keeps every rule of its kind:
# agreement_create/update, participant changes, amendment creation, submit_rad and the other
# lifecycle steps (through workflow.rules.agreement_valid) and amendment application all call it.


def _ref(agreement: Agreement) -> str:
    return f" {agreement.reference}" if agreement.reference else ""


def parent_candidate_q(kind: str | None = None) -> Q:
    """Which agreements may be the parent of a new agreement of ``kind`` (of either kind that takes
    a parent when None): a project arrangement's master not yet ended; an amendment's agreement
    signed or in force, and not itself an amendment. ``parent_candidacy_error`` is the same test on
    one row, with the sentence; ``agreements.selectors.parent_candidates`` applies it to a user."""
    for_pa = Q(kind=AgreementKind.MASTER, state__in=PA_PARENT_STATES)
    for_amendment = ~Q(kind=AgreementKind.AMENDMENT) & Q(state__in=AMENDABLE_STATES)
    if kind == AgreementKind.PROJECT_ARRANGEMENT:
        return for_pa
    if kind == AgreementKind.AMENDMENT:
        return for_amendment
    if kind is None:
        return for_pa | for_amendment
    return Q(pk__in=[])


def parent_candidacy_error(parent: Agreement, kind: str) -> str | None:
    """Why ``parent`` cannot be the parent of an agreement of ``kind`` (None when it can). It asks
    ``parent_candidate_q`` about the stored row, and only words the answer."""
    if kind not in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        return None  # Agreement.clean says that such an agreement has no parent
    if parent.pk and Agreement.objects.filter(parent_candidate_q(kind), pk=parent.pk).exists():
        return None
    stored = Agreement.objects.filter(pk=parent.pk).values_list("kind", "state").first() if parent.pk else None
    parent_kind, parent_state = stored or (parent.kind, parent.state)
    if kind == AgreementKind.PROJECT_ARRANGEMENT:
        if parent_kind != AgreementKind.MASTER:
            return f"{parent.reference} is a {AgreementKind(parent_kind).label.lower()}, not a master agreement."
        return (
            f"The master agreement {parent.reference} is {State(parent_state).label.lower()}: "
            "no project arrangement can be concluded under it."
        )
    if parent_kind == AgreementKind.AMENDMENT:
        return "An amendment amends an agreement, not another amendment."
    return (
        f"{parent.reference} is {State(parent_state).label.lower()}: only an agreement that is "
        "signed or in force can be amended."
    )


def partner_eligibility_error(agreement: Agreement, partner) -> str | None:
    """Why ``partner`` may not take part in ``agreement`` (None when it may): Section 65 loans go
    only to NATO (members, bodies, agencies) or major non-NATO allies; a project arrangement's
    partners are its master's; an amendment's partners are its parent's, unless it is a
    new-participant amendment, whose new partners must be eligible for the parent."""
    if agreement.kind == AgreementKind.SECTION_65_LOAN and not partner.eligible_for_section_65:
        return (
            f"{partner.name} is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): "
            f"the Section 65 loan{_ref(agreement)} cannot be made to it."
        )
    parent = agreement.parent if agreement.parent_id else None
    if parent is None:
        return None
    in_parent = parent.participants.filter(partner=partner).exists()
    if agreement.kind == AgreementKind.PROJECT_ARRANGEMENT and not in_parent:
        return f"{partner.name} is not a participant in the master agreement {parent.reference}."
    if agreement.kind == AgreementKind.AMENDMENT and not in_parent:
        if agreement.amendment_type != AmendmentType.NEW_PARTICIPANT:
            return (
                f"{partner.name} does not take part in {parent.reference}: only a new-participant "
                "amendment adds a partner."
            )
        return partner_eligibility_error(parent, partner)
    return None


def project_arrangements_outliving(master: Agreement, expiration_date: dt.date | None) -> list[str]:
    """A master may not end before the project arrangements in force under it."""
    if master.kind != AgreementKind.MASTER or not master.pk or expiration_date is None:
        return []
    pas = master.children.filter(
        kind=AgreementKind.PROJECT_ARRANGEMENT,
        state__in=(State.SIGNED, State.IN_FORCE),
        expiration_date__gt=expiration_date,
    ).order_by("expiration_date", "reference")
    return [
        f"{master.reference} cannot end on {expiration_date:%Y-%m-%d}: its project arrangement {pa.reference} "
        f"in force expires on {pa.expiration_date:%Y-%m-%d}."
        for pa in pas
    ]


def amendment_result_errors(amendment: Agreement, partners: Iterable | None = None) -> dict[str, list[str]]:
    """What would be wrong with the amended agreement once the amendment applies (``partners``:
    the amendment's, when not yet saved as its participants)."""
    errors: dict[str, list[str]] = defaultdict(list)
    parent = amendment.parent if amendment.parent_id else None
    if parent is None:
        return errors
    if amendment.amendment_type == AmendmentType.EXTENSION and amendment.new_expiration_date:
        new = amendment.new_expiration_date
        if parent.effective_date and new <= parent.effective_date:
            errors["new_expiration_date"].append(
                f"The extension would end {parent.reference} on {new:%Y-%m-%d}, before it takes effect "
                f"({parent.effective_date:%Y-%m-%d})."
            )
        master = parent.parent if parent.kind == AgreementKind.PROJECT_ARRANGEMENT and parent.parent_id else None
        if master is not None and master.expiration_date and new > master.expiration_date:
            errors["new_expiration_date"].append(
                f"The extension would make {parent.reference} outlive its master {master.reference}, "
                f"which expires on {master.expiration_date:%Y-%m-%d}."
            )
        errors["new_expiration_date"].extend(project_arrangements_outliving(parent, new))
    if amendment.amendment_type == AmendmentType.NEW_PARTICIPANT:
        existing = set(parent.participants.values_list("partner_id", flat=True))
        if partners is None:
            partners = [p.partner for p in amendment.participants.select_related("partner")] if amendment.pk else []
        if not [p for p in partners if p.pk not in existing]:
            errors["partners"].append(
                f"A new-participant amendment names a partner that does not yet take part in {parent.reference}."
            )
    return {k: v for k, v in errors.items() if v}


def agreement_violations(
    agreement: Agreement,
    *,
    partners: Iterable | None = None,
    lead_partner=None,
    check_parent_state: bool = False,
) -> dict[str, list[str]]:
    """Every rule the agreement (with ``partners``, or its current participants) breaks, by field:
    its own fields (kind, authority, phase, dates, parent's kind and term), its partners and their
    eligibility, the parent's state (at creation; always for an amendment), the result of an
    amendment, and a master's term against its project arrangements in force."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        agreement.full_clean(exclude=["reference", "state"], validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[name].extend(m for m in messages if m not in errors[name])
    if partners is None:
        partners = [p.partner for p in agreement.participants.select_related("partner")] if agreement.pk else []
    partners = list(partners)
    if not partners:
        errors["partners"].append("Choose at least one partner.")
    elif len({p.pk for p in partners}) != len(partners):
        errors["partners"].append("Each partner may take part only once.")
    if lead_partner is not None and lead_partner.pk not in {p.pk for p in partners}:
        errors["lead_partner"].append(f"{lead_partner.name} is not among the agreement's partners.")
    for partner in partners:
        problem = partner_eligibility_error(agreement, partner)
        if problem:
            errors["partners"].append(problem)
    parent = agreement.parent if agreement.parent_id else None
    if parent is not None and (check_parent_state or agreement.kind == AgreementKind.AMENDMENT):
        problem = parent_candidacy_error(parent, agreement.kind)
        if problem and problem not in errors["parent"]:
            errors["parent"].append(problem)
    if agreement.kind == AgreementKind.AMENDMENT:
        for name, messages in amendment_result_errors(agreement, partners).items():
            errors[name].extend(messages)
    errors["expiration_date"].extend(project_arrangements_outliving(agreement, agreement.expiration_date))
    return {name: messages for name, messages in errors.items() if messages}


def validate_agreement(agreement: Agreement, **kwargs) -> None:
    """Raise a ValidationError naming every rule the agreement breaks (see agreement_violations)."""
    errors = agreement_violations(agreement, **kwargs)
    if errors:
        raise ValidationError(errors)


class Participant(models.Model):
    """A partner's place in an agreement, with its signatory and signature."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="participants")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=20, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT)
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_title = models.CharField(max_length=200, blank=True)
    signature_date = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "-role", "partner__name"]
        # A partner's agreements (the liaison's scope, the partner filter) without a scan.
        indexes = [models.Index(fields=["partner", "agreement"], name="participant_partner_agreement")]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "partner"],
                name="participant_unique_partner",
                violation_error_message="This partner already takes part in the agreement.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} in {self.agreement.reference}"

    def clean(self) -> None:
        agreement = self.agreement
        partner = self.partner
        problem = partner_eligibility_error(agreement, partner)
        if problem:
            raise ValidationError({"partner": problem})
        duplicate = Participant.objects.filter(agreement=agreement, partner=partner).exclude(pk=self.pk)
        if duplicate.exists():
            raise ValidationError({"partner": f"{partner.name} already takes part in this agreement."})


class Contribution(models.Model):
    """A participant's financial or in-kind contribution, valued in U.S. dollars. The United
    States is a participant too: its contributions have no ``participant`` (the agreement's own)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="contributions")
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contributions",
        help_text="The foreign participant; empty for the United States' own contribution.",
    )
    kind = models.CharField(max_length=20, choices=ContributionKind.choices, default=ContributionKind.FINANCIAL)
    description = models.CharField(max_length=300)
    valuation_basis = models.CharField(max_length=300, blank=True, help_text="How an in-kind contribution is valued.")
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "participant", "fiscal_year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_usd__gte=0),
                name="contribution_amount_not_negative",
                violation_error_message="A contribution cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount_usd} USD)"

    @property
    def party_name(self) -> str:
        return self.participant.partner.name if self.participant_id else UNITED_STATES

    def clean(self) -> None:
        if self.participant_id is not None and self.participant.agreement_id != self.agreement_id:
            raise ValidationError({"participant": "This participant does not take part in the agreement."})
        if self.kind == ContributionKind.NON_FINANCIAL and not self.valuation_basis:
            raise ValidationError({"valuation_basis": "Say how this in-kind contribution is valued."})
        if self.fiscal_year is not None and not 1990 <= self.fiscal_year <= 2100:
            raise ValidationError({"fiscal_year": "Enter a four-digit fiscal year."})


class LoanItem(models.Model):
    """One line of a Section 65 loan list."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="loan_items")
    item = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_value_usd = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    consumable = models.BooleanField(default=False, help_text="Determined that the item may be consumed.")
    return_by = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="loan_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"

    @property
    def total_value_usd(self):
        return self.quantity * self.unit_value_usd

    def clean(self) -> None:
        if self.agreement_id and self.agreement.kind != AgreementKind.SECTION_65_LOAN:
            raise ValidationError("Loan items belong to Section 65 loans only.")
        if not self.consumable and self.return_by is None:
            raise ValidationError({"return_by": "A loaned item that is not consumed needs a return date."})


class SSOI(models.Model):
    """The Summary Statement of Intent: the agreement's business case, section by section."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="ssoi")
    objectives = models.TextField(blank=True)
    scope_of_work = models.TextField(blank=True)
    benefits_to_dod = models.TextField("benefits to DoD", blank=True)
    benefits_to_partners = models.TextField(blank=True)
    management_structure = models.TextField(blank=True)
    in_kind_valuation = models.TextField("in-kind contributions and their valuation", blank=True)
    cost_share_rationale = models.TextField("cost-share rationale and equitability", blank=True)
    contracting_approach = models.TextField(blank=True)
    project_equipment = models.TextField("project equipment and transfers", blank=True)
    disclosure_and_use = models.TextField("disclosure and use of information", blank=True)
    security_classification = models.TextField("security classification and CUI", blank=True)
    ddl_notes = models.TextField("DDL / TS&FD notes", blank=True)
    third_party_transfer = models.TextField(blank=True)
    duration = models.TextField(blank=True)
    congressional_notice = models.TextField("congressional notice applicability", blank=True)
    # Section 65 variant
    nato_mnna_confirmation = models.TextField("NATO / MNNA confirmation", blank=True)
    loan_period = models.TextField(blank=True)
    return_terms = models.TextField(blank=True)
    consumption_determination = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True)
    reviewed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the program office confirmed the SSOI still holds after negotiation began.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "SSOI"
        verbose_name_plural = "SSOIs"

    def __str__(self) -> str:
        return f"SSOI of {self.agreement.reference}"

    def sections(self) -> list[SsoiSection]:
        """The sections that apply to this agreement's kind, in template order."""
        section_65 = self.agreement.kind == AgreementKind.SECTION_65_LOAN
        return [s for s in SSOI_SECTIONS if (s.section_65 is None) or (s.section_65 == section_65)]

    def missing_sections(self) -> list[SsoiSection]:
        return [s for s in self.sections() if not s.is_complete(self)]

    def completeness(self) -> tuple[int, int]:
        sections = self.sections()
        return len(sections) - len(self.missing_sections()), len(sections)


class SsoiSection:
    """One SSOI section: its fields, label, and which kinds it applies to (None: all)."""

    def __init__(self, key: str, label: str, fields: tuple[str, ...], section_65: bool | None = None):
        self.key = key
        self.label = label
        self.fields = fields
        self.section_65 = section_65

    def is_complete(self, ssoi: SSOI) -> bool:
        if self.key == "financial_contributions":
            return Contribution.objects.filter(agreement_id=ssoi.agreement_id).exists()
        if self.key == "loan_list":
            return ssoi.agreement.loan_items.exists()
        if self.key == "ddl_status":
            # The program office has at least asked for the TS&FD review (the decision is not its own).
            return (
                DdlDecision.objects.filter(agreement_id=ssoi.agreement_id)
                .exclude(status=DdlStatus.NOT_STARTED)
                .exists()
            )
        return all(str(getattr(ssoi, f) or "").strip() for f in self.fields)

    def __repr__(self) -> str:
        return f"SsoiSection({self.key!r})"


SSOI_SECTIONS: tuple[SsoiSection, ...] = (
    SsoiSection("objectives", "Objectives", ("objectives",)),
    SsoiSection("scope_of_work", "Scope of work", ("scope_of_work",)),
    SsoiSection("benefits", "Benefits to DoD and to partners", ("benefits_to_dod", "benefits_to_partners")),
    SsoiSection("management_structure", "Management structure", ("management_structure",)),
    SsoiSection("financial_contributions", "Financial contributions", (), section_65=False),
    SsoiSection(
        "in_kind_valuation", "Non-financial contributions and valuation", ("in_kind_valuation",), section_65=False
    ),
    SsoiSection(
        "cost_share_rationale", "Cost-share rationale and equitability", ("cost_share_rationale",), section_65=False
    ),
    SsoiSection("contracting_approach", "Contracting approach", ("contracting_approach",), section_65=False),
    SsoiSection("loan_list", "Loan list", (), section_65=True),
    SsoiSection("nato_mnna_confirmation", "NATO / MNNA confirmation", ("nato_mnna_confirmation",), section_65=True),
    SsoiSection("loan_period", "Loan period", ("loan_period",), section_65=True),
    SsoiSection("return_terms", "Return terms", ("return_terms",), section_65=True),
    SsoiSection(
        "consumption_determination", "Consumption determination", ("consumption_determination",), section_65=True
    ),
    SsoiSection("project_equipment", "Project equipment and transfers", ("project_equipment",)),
    SsoiSection("disclosure_and_use", "Disclosure and use of information", ("disclosure_and_use",)),
    SsoiSection("security_classification", "Security classification and CUI", ("security_classification",)),
    SsoiSection("ddl_status", "DDL / TS&FD status", ()),
    SsoiSection("third_party_transfer", "Third-party transfer", ("third_party_transfer",)),
    SsoiSection("duration", "Duration", ("duration",)),
    SsoiSection("congressional_notice", "Congressional notice applicability", ("congressional_notice",)),
)


class DocumentQuerySet(models.QuerySet):
    def current(self):
        """Versions that count: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


def document_upload_to(instance: Document, filename: str) -> str:
    return f"agreements/{instance.agreement.reference}/{instance.kind}/v{instance.version}-{filename}"


class Document(models.Model):
    """A file attached to an agreement: texts, SSOI PDFs, DDLs, notices. Versioned per kind."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    file = models.FileField(upload_to=document_upload_to, max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    marking = models.CharField(max_length=20, choices=Marking.choices, default=Marking.CUI)
    releasable_to_partners = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A withdrawn version stays in the history but no longer counts.",
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    text = models.TextField(
        blank=True, editable=False, help_text="The words of the file, extracted at upload for search and comparison."
    )

    history = HistoricalRecords(excluded_fields=["text"])
    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "kind", "-version"]
        # The most recently released documents (the liaison's page) without sorting them all.
        indexes = [models.Index(fields=["-uploaded_at", "-id"], name="document_newest_first")]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "version"], name="document_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} of {self.agreement.reference}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    def clean(self) -> None:
        if self.releasable_to_partners and self.agreement_id:
            denial = document_release_denial(self.agreement, self.kind)
            if denial:
                raise ValidationError({"releasable_to_partners": denial})


def document_release_denial(agreement: Agreement, kind: str) -> str | None:
    """Why a document of ``kind`` may not be marked releasable to partners (None when it may):
    generated PDFs with internal content never are, and nothing is before the DDL is approved.
    Document.clean() asks it, so the services, the admin and every form refuse alike."""
    if kind in INTERNAL_GENERATED_DOCUMENT_KINDS:
        return (
            f"The {DocumentKind(kind).label} carries internal content (transition comments, coordination "
            "positions) and is never releasable to partners; partners get the partner summary instead."
        )
    if not ddl_is_approved(agreement):
        return (
            f"The DDL of {agreement.reference} is not approved: no document may be released to partners "
            "before a disclosure office approves it."
        )
    return None


def ddl_is_approved(agreement: Agreement) -> bool:
    return DdlDecision.objects.filter(agreement_id=agreement.pk, status=DdlStatus.APPROVED).exists()


class DdlDecision(models.Model):
    """The DDL / TS&FD decision of one agreement: the program office asks for the review; a
    disclosure office (a coordinating office flagged as one, DTSA by default) approves or refuses
    it, with the decision date and the Delegation of Disclosure Authority Letter itself. Nothing is
    released to partners, and no RFA is submitted, before it is approved."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="ddl")
    status = models.CharField(max_length=20, choices=DdlStatus.choices, default=DdlStatus.NOT_STARTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    deciding_office = models.ForeignKey(
        "partners.CoordinatingOffice", null=True, blank=True, on_delete=models.PROTECT, related_name="ddl_decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ddl_decisions"
    )
    decision_date = models.DateField(null=True, blank=True)
    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The Delegation of Disclosure Authority Letter.",
    )
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "DDL / TS&FD decision"
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[DdlStatus.APPROVED, DdlStatus.DENIED])
                | (Q(deciding_office__isnull=False) & Q(decision_date__isnull=False)),
                name="ddl_decision_has_office_and_date",
                violation_error_message="A DDL decision names the deciding disclosure office and its date.",
            ),
            models.CheckConstraint(
                condition=~Q(status=DdlStatus.APPROVED) | Q(document__isnull=False),
                name="ddl_approval_has_letter",
                violation_error_message="An approved DDL needs the letter itself attached.",
            ),
        ]

    def __str__(self) -> str:
        return f"DDL of {self.agreement.reference}: {self.get_status_display()}"

    def clean(self) -> None:
        if self.document_id is not None:
            if self.document.agreement_id != self.agreement_id or self.document.kind != DocumentKind.DDL:
                raise ValidationError({"document": "Attach a DDL document of this agreement."})


class SavedView(models.Model):
    """A named, filtered list of agreements (the list page's query string), kept per user; a
    reviewer may share one with the other reviewers."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True, help_text="The list's filters, as a query string.")
    shared_with_team = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name
