"""Serializers of the agreement record itself: as lists show it, in detail, the proposal and the
edit, and its SSOI. Fields partner liaisons never receive are in ``Meta.internal_fields``. The
list's rows are built by ``list_rows.AgreementListRows``; the open coordination round the detail
shows, by ``workflow.api.briefs`` (the workflow's records)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.choices import AgreementKind, AmendmentType, LegalAuthority, Marking, SystemPhase
from agreements.models import SSOI, Agreement, Participant
from agreements.partner_status import PartnerStatus, partner_status
from agreements.services import SSOI_FIELDS
from partners.api.common import LiaisonSafeMixin
from partners.api.serializers import UserSummarySerializer
from partners.models import Role, User
from workflow.api.briefs import CoordinationBriefSerializer, coordination_brief

from .fields import PartnerCodeField, PartnerCodeListField, VisibleAgreementField


class ParticipantBriefSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "partner", "partner_name", "role", "signature_date"]
        read_only_fields = fields


class AgreementSerializer(LiaisonSafeMixin, serializers.ModelSerializer):
    """An agreement as lists show it. Fields in ``internal_fields`` are absent for partner
    liaisons."""

    lead_organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent_reference = serializers.CharField(source="parent.reference", read_only=True, allow_null=True)
    participants = ParticipantBriefSerializer(many=True, read_only=True)
    action_officer = UserSummarySerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    phase = serializers.ChoiceField(choices=SystemPhase.choices, allow_blank=True, read_only=True)
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, allow_blank=True, read_only=True)
    amendment_type = serializers.ChoiceField(choices=AmendmentType.choices, allow_blank=True, read_only=True)
    partner_status = serializers.SerializerMethodField(
        help_text="What partners are told of where the agreement stands (all a liaison receives: no internal state)."
    )
    partner_status_label = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "reference",
            "url",
            "title",
            "short_title",
            "kind",
            "phase",
            "parent",
            "parent_reference",
            "amendment_type",
            "new_expiration_date",
            "lead_organization",
            "participants",
            "authority",
            "authority_text",
            "state",
            "state_changed_at",
            "partner_status",
            "partner_status_label",
            "effective_date",
            "fixed_entry_into_force_date",
            "entry_into_force_date",
            "expiration_date",
            "marking",
            "releasable_to_partners",
            "master_lapsed_at",
            "us_signatory_name",
            "us_signatory_title",
            "us_signature_date",
            "congressional_notice_date",
            "internal_notes",
            "action_officer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        internal_fields = (
            "internal_notes",
            "action_officer",
            "releasable_to_partners",
            "congressional_notice_date",
            # The internal stage and when it changed would reveal U.S.-internal steps and delays.
            "state",
            "state_changed_at",
            "master_lapsed_at",
        )

    @extend_schema_field(serializers.ChoiceField(choices=PartnerStatus.choices))
    def get_partner_status(self, agreement: Agreement) -> str:
        return partner_status(agreement.state).value

    def get_partner_status_label(self, agreement: Agreement) -> str:
        return partner_status(agreement.state).label

    def get_url(self, agreement: Agreement) -> str:
        request = self.context.get("request")
        path = f"/api/v1/agreements/{agreement.pk}/"
        return request.build_absolute_uri(path) if request else path


class AgreementDetailSerializer(AgreementSerializer):
    """One agreement with its SSOI progress and (DoD only) the open coordination round."""

    ssoi_completed_sections = serializers.SerializerMethodField()
    ssoi_total_sections = serializers.SerializerMethodField()
    needs_congressional_notice = serializers.BooleanField(read_only=True)
    is_multilateral = serializers.BooleanField(read_only=True)
    coordination = serializers.SerializerMethodField()

    class Meta(AgreementSerializer.Meta):
        fields = [
            *AgreementSerializer.Meta.fields,
            "ssoi_completed_sections",
            "ssoi_total_sections",
            "needs_congressional_notice",
            "is_multilateral",
            "coordination",
        ]
        read_only_fields = fields
        internal_fields = (
            *AgreementSerializer.Meta.internal_fields,
            "coordination",
            "ssoi_completed_sections",
            "ssoi_total_sections",
            "needs_congressional_notice",
        )

    def _ssoi(self, agreement):
        return getattr(agreement, "ssoi", None)

    def get_ssoi_completed_sections(self, agreement: Agreement) -> int | None:
        ssoi = self._ssoi(agreement)
        return ssoi.completeness()[0] if ssoi else None

    def get_ssoi_total_sections(self, agreement: Agreement) -> int | None:
        ssoi = self._ssoi(agreement)
        return ssoi.completeness()[1] if ssoi else None

    @extend_schema_field(CoordinationBriefSerializer(allow_null=True))
    def get_coordination(self, agreement: Agreement) -> dict | None:
        return coordination_brief(agreement)


class AgreementCreateSerializer(serializers.Serializer):
    """A proposal, logged by a program office for its own organization."""

    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    title = serializers.CharField(max_length=300)
    short_title = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    partners = PartnerCodeListField(
        min_length=1,
        max_length=60,
        help_text="Partner codes (GBR, FRA, NATO …); the first is the lead unless lead_partner is given.",
    )
    lead_partner = PartnerCodeField(required=False, allow_null=True, default=None)
    parent = VisibleAgreementField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A project arrangement's master agreement, or the agreement an amendment amends.",
    )
    phase = serializers.ChoiceField(choices=SystemPhase.choices, required=False, allow_blank=True, default="")
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, required=False, allow_blank=True, default="")
    authority_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)
    expiration_date = serializers.DateField(required=False, allow_null=True, default=None)
    marking = serializers.ChoiceField(choices=Marking.choices, required=False, allow_null=True, default=None)
    releasable_to_partners = serializers.BooleanField(default=False)
    internal_notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")
    amendment_type = serializers.ChoiceField(
        choices=AmendmentType.choices, required=False, allow_blank=True, default=""
    )
    new_expiration_date = serializers.DateField(required=False, allow_null=True, default=None)


class AgreementUpdateSerializer(serializers.Serializer):
    """The record's editable fields (substance only while the program office holds the pen)."""

    title = serializers.CharField(max_length=300, required=False)
    short_title = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phase = serializers.ChoiceField(choices=SystemPhase.choices, required=False, allow_blank=True)
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, required=False, allow_blank=True)
    authority_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    effective_date = serializers.DateField(required=False, allow_null=True)
    fixed_entry_into_force_date = serializers.DateField(required=False, allow_null=True)
    expiration_date = serializers.DateField(required=False, allow_null=True)
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)
    releasable_to_partners = serializers.BooleanField(required=False)
    internal_notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    action_officer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PROGRAM_OFFICE, is_active=True),
        required=False,
        allow_null=True,
        help_text="A program office user's id.",
    )
    amendment_type = serializers.ChoiceField(choices=AmendmentType.choices, required=False, allow_blank=True)
    new_expiration_date = serializers.DateField(required=False, allow_null=True)


class SsoiSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    complete = serializers.BooleanField()


class SsoiSerializer(serializers.ModelSerializer):
    """The Summary Statement of Intent, with the sections that apply to the agreement's kind and
    which of them are still empty."""

    sections = serializers.SerializerMethodField()
    completed_sections = serializers.SerializerMethodField()
    total_sections = serializers.SerializerMethodField()

    class Meta:
        model = SSOI
        fields = [
            "agreement",
            *SSOI_FIELDS,
            "updated_at",
            "reviewed_at",
            "sections",
            "completed_sections",
            "total_sections",
        ]
        read_only_fields = fields

    @extend_schema_field(SsoiSectionSerializer(many=True))
    def get_sections(self, ssoi: SSOI) -> list[dict]:
        return [{"key": s.key, "label": s.label, "complete": s.is_complete(ssoi)} for s in ssoi.sections()]

    def get_completed_sections(self, ssoi: SSOI) -> int:
        return ssoi.completeness()[0]

    def get_total_sections(self, ssoi: SSOI) -> int:
        return ssoi.completeness()[1]


def _ssoi_input_fields() -> dict:
    fields = {}
    for name in SSOI_FIELDS:
        model_field = SSOI._meta.get_field(name)
        fields[name] = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=20_000,
            help_text=str(model_field.verbose_name).capitalize() + ".",
        )
    return fields


SsoiUpdateSerializer = type(
    "SsoiUpdateSerializer",
    (serializers.Serializer,),
    {"__doc__": "SSOI sections to save; a draft may be saved incomplete.", **_ssoi_input_fields()},
)
