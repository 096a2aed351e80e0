"""The agreement itself: its fields, invariants, derived facts and the lifecycle state machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from .. import lifecycle
from ..choices import (
    REVIEW_STATES,
    TERMINAL_STATES,
    AgreementKind,
    AmendmentType,
    LegalAuthority,
    Marking,
    State,
    SystemPhase,
)
from ..validation import agreement_name


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
    def open(self) -> AgreementQuerySet:
        return self.exclude(state__in=TERMINAL_STATES)

    def with_list_relations(self) -> AgreementQuerySet:
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

    # Derived, for the review queue's order: the earliest silence deadline still awaited (a
    # position pending or only commented) in the agreement's open coordination round; empty when
    # no round is open or every office has answered. Written only by workflow's coordination
    # services, in the transaction that changes a round or a position (never by ``save()``).
    awaited_deadline = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["state_changed_at", "updated_at", "awaited_deadline"])
    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The default order of every list and of the API (ties broken by id: stable pages).
            models.Index(fields=["-created_at", "-id"], name="agreement_newest_first"),
            models.Index(fields=["lead_organization", "-created_at", "-id"], name="agreement_org_newest_first"),
            # A list filtered by state, newest first (in force, in negotiation…): without it the walk
            # down the newest-first index passes every newer agreement of another state.
            models.Index(fields=["state", "-created_at", "-id"], name="agreement_state_newest_first"),
            # Review queue, stalled reviews, expiring agreements, and the list's other sort orders.
            models.Index(fields=["state", "state_changed_at"], name="agreement_state_since"),
            models.Index(fields=["state", "expiration_date"], name="agreement_state_expiry"),
            models.Index(fields=["expiration_date", "id"], name="agreement_expiry"),
            models.Index(fields=["effective_date", "id"], name="agreement_effective"),
            models.Index(fields=["entry_into_force_date", "id"], name="agreement_in_force_since"),
            models.Index(fields=["-state_changed_at", "id"], name="agreement_changed"),
            models.Index(fields=["title", "id"], name="agreement_title"),
            # A liaison's concluded agreements, most recently in force first (signed ones, not yet
            # in force, before them): the walk passes only releasable concluded agreements.
            # (DESC puts NULLs first on PostgreSQL, as the query asks; SQLite cannot say so in an index.)
            models.Index(
                F("entry_into_force_date").desc(),
                F("id").desc(),
                condition=Q(state__in=[State.SIGNED, State.IN_FORCE], releasable_to_partners=True),
                name="agreement_concluded_releasable",
            ),
            # The review queue in its order, read from the index alone (see review_queue_for).
            models.Index(
                fields=["awaited_deadline", "state_changed_at", "id"],
                include=["state"],
                condition=Q(state__in=REVIEW_STATES),
                name="agreement_review_queue",
            ),
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = ReferenceCounter.next_reference(timezone.localdate().year)
        # What this save changed (None: a new row, or unknown), for the receivers of post_save.
        self.saved_changes = self._changed_since_load()
        super().save(*args, **kwargs)
        self._loaded_values = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}

    # --- what a save changed --------------------------------------------------------------------
    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Agreement:
        """Keep the values as loaded, so a save can tell which fields it changed."""
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = {
            name: value for name, value in zip(field_names, values, strict=True) if value is not models.DEFERRED
        }
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        loaded = getattr(self, "_loaded_values", {})
        for field in self._meta.concrete_fields:
            if field.attname in self.__dict__:
                loaded[field.attname] = self.__dict__[field.attname]
        self._loaded_values = loaded

    def _changed_since_load(self) -> frozenset[str] | None:
        """The attribute names whose values differ from those loaded from the database; None for
        a new agreement or one not loaded from the database (everything may have changed)."""
        loaded = getattr(self, "_loaded_values", None)
        if self._state.adding or loaded is None:
            return None
        return frozenset(name for name, value in loaded.items() if getattr(self, name) != value)

    # Fields a save leaves alone unless named in ``update_fields``: their own services write them
    # with an UPDATE, so saving a copy read earlier never puts back an old value.
    DERIVED_FIELDS = ("awaited_deadline",)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):
        named = set(update_fields or ())
        values = [v for v in values if v[0].name not in self.DERIVED_FIELDS or v[0].name in named]
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs)

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
                    f"{agreement_name(self.parent)} is a {self.parent.get_kind_display().lower()}, "
                    "not a master agreement."
                )
            else:
                master = self.parent
                if master.effective_date and self.effective_date and self.effective_date < master.effective_date:
                    errors["effective_date"] = (
                        f"A project arrangement cannot take effect before its master "
                        f"{agreement_name(master)} ({master.effective_date:%Y-%m-%d})."
                    )
                if master.expiration_date and self.expiration_date and self.expiration_date > master.expiration_date:
                    errors["expiration_date"] = (
                        f"A project arrangement cannot outlive its master {agreement_name(master)}, "
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

    # --- the lifecycle (conditions and permissions live in agreements.lifecycle) -------------
    @transition(
        field=state,
        source=State.PROPOSAL,
        target=State.SSOI_DRAFTING,
        conditions=[lifecycle.has_participants, lifecycle.has_authority],
        permission=lifecycle.is_lead_program_office,
    )
    def start_ssoi(self) -> None:
        """The program office begins the SSOI once partners, kind and authority are set."""

    @transition(
        field=state,
        source=State.SSOI_DRAFTING,
        target=State.RAD_REVIEW,
        conditions=[
            lifecycle.ssoi_complete,
            lifecycle.draft_text_attached,
            lifecycle.contributions_entered,
            lifecycle.master_in_force,
            lifecycle.agreement_valid,
        ],
        permission=lifecycle.is_lead_program_office,
    )
    def submit_rad(self) -> None:
        """Send the SSOI package up as a Request for Authority to Develop (and negotiate)."""

    @transition(
        field=state,
        source=State.RAD_REVIEW,
        target=State.NEGOTIATION,
        conditions=[lifecycle.coordination_complete],
        permission=lifecycle.is_reviewer,
    )
    def authorize_negotiation(self) -> None:
        """OUSD(A&S) authorizes negotiation once coordination is complete."""

    @transition(field=state, source=State.RAD_REVIEW, target=State.SSOI_DRAFTING, permission=lifecycle.is_reviewer)
    @transition(field=state, source=State.RFA_REVIEW, target=State.NEGOTIATION, permission=lifecycle.is_reviewer)
    def return_for_revision(self) -> None:
        """The reviewer sends the package back to the program office with a comment."""

    @transition(
        field=state,
        source=[State.RAD_REVIEW, State.RFA_REVIEW],
        target=State.DISAPPROVED,
        permission=lifecycle.is_reviewer,
    )
    def disapprove(self) -> None:
        """The reviewer ends the agreement's path with a rationale."""

    @transition(
        field=state,
        source=State.NEGOTIATION,
        target=State.RFA_REVIEW,
        conditions=[
            lifecycle.negotiated_text_attached,
            lifecycle.ssoi_updated_since_negotiation,
            lifecycle.ddl_approved,
            lifecycle.agreement_valid,
        ],
        permission=lifecycle.is_lead_program_office,
    )
    def submit_rfa(self) -> None:
        """Send the negotiated text up as a Request for Final Approval."""

    @transition(
        field=state,
        source=State.RFA_REVIEW,
        target=RETURN_VALUE(State.CONGRESSIONAL_WAIT, State.APPROVED),
        conditions=[lifecycle.coordination_complete],
        permission=lifecycle.is_reviewer,
    )
    def approve_conclusion(self) -> str:
        """Approval to conclude; waits for Congress when the authority requires notice."""
        return State.CONGRESSIONAL_WAIT if self.needs_congressional_notice else State.APPROVED

    @transition(
        field=state,
        source=State.CONGRESSIONAL_WAIT,
        target=State.APPROVED,
        conditions=[lifecycle.congressional_wait_over],
        permission=lifecycle.is_system_or_reviewer,
    )
    def end_congressional_wait(self) -> None:
        """Notice date + the waiting period has passed: the agreement may be signed."""

    @transition(
        field=state,
        source=[State.APPROVED, State.SIGNING],
        target=RETURN_VALUE(State.SIGNING, State.SIGNED, State.IN_FORCE),
        conditions=[lifecycle.master_in_force, lifecycle.agreement_valid],
        permission=lifecycle.is_lead_program_office,
    )
    def record_signature(self) -> str:
        """One more signature is in; the last one brings the agreement into force, or, when the
        text fixes a later date, leaves it signed until that date."""
        if not self.all_signatures_in:
            return State.SIGNING
        return State.SIGNED if self.awaits_fixed_entry_into_force else State.IN_FORCE

    @transition(
        field=state,
        source=State.SIGNED,
        target=State.IN_FORCE,
        conditions=[
            lifecycle.fixed_entry_into_force_date_reached,
            lifecycle.master_in_force,
            lifecycle.agreement_valid,
        ],
        permission=lifecycle.is_system,
    )
    def enter_into_force(self) -> None:
        """The fixed entry-into-force date has come (the portal does it on that date)."""

    @transition(
        field=state,
        source=State.IN_FORCE,
        target=State.EXPIRED,
        conditions=[lifecycle.expiration_date_reached],
        permission=lifecycle.is_system,
    )
    def expire(self) -> None:
        """The expiration date has come."""

    @transition(
        field=state,
        source=[State.SIGNED, State.IN_FORCE],
        target=State.TERMINATED,
        conditions=[lifecycle.termination_notice_attached],
        permission=lifecycle.is_reviewer,
    )
    def terminate(self) -> None:
        """Ended early by notice."""

    @transition(
        field=state,
        source=[State.PROPOSAL, State.SSOI_DRAFTING, State.NEGOTIATION],
        target=State.WITHDRAWN,
        permission=lifecycle.is_lead_program_office,
    )
    def withdraw(self) -> None:
        """The program office abandons the proposal."""
