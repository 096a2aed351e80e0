"""Serializers of an agreement's parts: participants, contributions (and the equitability table
built from them) and Section 65 loan items."""

from __future__ import annotations

from rest_framework import serializers

from agreements.choices import ContributionKind, ParticipantRole
from agreements.models import Contribution, LoanItem, Participant
from agreements.selectors import agreements_visible_to
from partners.api.common import is_liaison

from .fields import PartnerCodeField, VisibleAgreementField, context_user


class ParticipantSerializer(serializers.ModelSerializer):
    """A partner's place in an agreement, with its signatory and signature."""

    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "agreement",
            "partner",
            "partner_name",
            "role",
            "signatory_name",
            "signatory_title",
            "signature_date",
        ]
        read_only_fields = fields

    def to_representation(self, participant: Participant) -> dict:
        data = super().to_representation(participant)
        if is_liaison(self.context) and not participant.signature_date:
            # Who is expected to sign is a U.S. working note until the signature is in, as on the page.
            data["signatory_name"] = ""
            data["signatory_title"] = ""
        return data


class ParticipantCreateSerializer(serializers.Serializer):
    """Add a partner to an agreement (the lead program office, while it holds the pen)."""

    agreement = VisibleAgreementField()
    partner = PartnerCodeField(help_text="The partner's code, e.g. FRA.")
    role = serializers.ChoiceField(choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT)
    signatory_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    signatory_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ParticipantUpdateSerializer(serializers.Serializer):
    """Signatory details and role; signatures are recorded through the record_signature transition."""

    role = serializers.ChoiceField(choices=ParticipantRole.choices, required=False)
    signatory_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    signatory_title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ContributionSerializer(serializers.ModelSerializer):
    """A participant's financial or in-kind contribution in U.S. dollars. The United States'
    own contributions have ``participant`` null and ``partner`` "USA"."""

    partner = serializers.SerializerMethodField(help_text="The partner's code; USA for the United States.")
    united_states = serializers.SerializerMethodField()

    class Meta:
        model = Contribution
        fields = [
            "id",
            "agreement",
            "participant",
            "partner",
            "united_states",
            "kind",
            "description",
            "valuation_basis",
            "amount_usd",
            "fiscal_year",
        ]
        read_only_fields = fields

    def get_partner(self, contribution: Contribution) -> str:
        return _contribution_partner(contribution)

    def get_united_states(self, contribution: Contribution) -> bool:
        return contribution.participant_id is None


class _ContributionFields(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContributionKind.choices, required=False)
    description = serializers.CharField(max_length=300, required=False)
    valuation_basis = serializers.CharField(max_length=300, required=False, allow_blank=True)
    amount_usd = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    fiscal_year = serializers.IntegerField(min_value=1990, max_value=2100, required=False, allow_null=True)


class ContributionCreateSerializer(_ContributionFields):
    """Enter a contribution for a participant of an agreement the caller leads, or (``participant``
    null, ``agreement`` given) the United States' own."""

    participant = serializers.PrimaryKeyRelatedField(
        queryset=Participant.objects.none(), required=False, allow_null=True, default=None
    )
    agreement = VisibleAgreementField(
        required=False, allow_null=True, default=None, help_text="Needed for a United States contribution."
    )
    description = serializers.CharField(max_length=300)
    amount_usd = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(
            agreement__in=agreements_visible_to(context_user(self.context))
        )


def _contribution_partner(contribution) -> str:
    return contribution.participant.partner.code if contribution.participant_id else "USA"


class ContributionUpdateSerializer(_ContributionFields):
    """Change a contribution."""


class LoanItemSerializer(serializers.ModelSerializer):
    """One line of a Section 65 loan list."""

    total_value_usd = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = LoanItem
        fields = [
            "id",
            "agreement",
            "item",
            "quantity",
            "unit_value_usd",
            "total_value_usd",
            "consumable",
            "return_by",
        ]
        read_only_fields = fields


class LoanItemCreateSerializer(serializers.Serializer):
    """Add a line to a Section 65 loan list."""

    agreement = VisibleAgreementField()
    item = serializers.CharField(max_length=300)
    quantity = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    unit_value_usd = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    consumable = serializers.BooleanField(default=False)
    return_by = serializers.DateField(required=False, allow_null=True, default=None)


class EquitabilityRowSerializer(serializers.Serializer):
    """One participant's total contribution and share of the whole (the United States first)."""

    participant = serializers.SerializerMethodField(help_text="The participant's id; null for the United States.")
    partner = serializers.CharField(source="code", help_text="The partner's code; USA for the United States.")
    partner_name = serializers.CharField(source="name")
    united_states = serializers.BooleanField(source="is_united_states")
    financial = serializers.DecimalField(max_digits=20, decimal_places=2)
    in_kind = serializers.DecimalField(max_digits=20, decimal_places=2)
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    share = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        help_text="Percent of everyone's contributions, the United States' included; the shares add up to 100.0.",
    )

    def get_participant(self, row) -> int | None:
        return row["participant"].pk if row["participant"] is not None else None
