"""What an agreement is made of: its participants, their contributions, and a loan's items."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ..choices import AgreementKind, ContributionKind, ParticipantRole
from ..validation import partner_eligibility_error
from .agreement import Agreement

UNITED_STATES = "United States"


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
    def total_value_usd(self) -> Decimal:
        return self.quantity * self.unit_value_usd

    def clean(self) -> None:
        if self.agreement_id and self.agreement.kind != AgreementKind.SECTION_65_LOAN:
            raise ValidationError("Loan items belong to Section 65 loans only.")
        if not self.consumable and self.return_by is None:
            raise ValidationError({"return_by": "A loaned item that is not consumed needs a return date."})
