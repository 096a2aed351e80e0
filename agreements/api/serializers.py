"""Serializers of agreements and their parts. Output serializers list the fields a partner
liaison never receives in ``Meta.internal_fields``; input serializers only shape and type the
input, the services decide what is allowed."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.choices import (
    DDL_DECISIONS,
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
from agreements.models import SSOI, Agreement, Contribution, DdlDecision, Document, LoanItem, Participant
from agreements.partner_status import PartnerStatus, partner_status
from agreements.selectors import agreements_visible_to
from agreements.services import SSOI_FIELDS
from partners.api.common import LiaisonSafeMixin, is_liaison
from partners.api.serializers import UserSummarySerializer
from partners.models import Partner, Role, User
from workflow.models import CoordinationRound, PositionStatus
from workflow.transitions import TRANSITION_NAMES


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@extend_schema_field({"type": "integer", "description": "An agreement id."})
class VisibleAgreementField(serializers.PrimaryKeyRelatedField):
    """An agreement id the caller can see; any other id reads as "does not exist"."""

    def get_queryset(self):
        return agreements_visible_to(_user(self.context))


class PartnerCodeField(serializers.SlugRelatedField):
    """A partner by its code (GBR, NATO)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Partner.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class PartnerCodeListField(serializers.ListField):
    """A list of partner codes, checked for its length and shape before any database work and then
    looked up in one query: an oversized list is refused at once, not after a lookup per item."""

    default_error_messages = {
        **serializers.ListField.default_error_messages,
        "not_a_code": "Each partner is a code such as GBR or NATO.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=20))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if self.min_length is not None and len(data) < self.min_length:
            self.fail("min_length", min_length=self.min_length)
        malformed = {
            index: [self.error_messages["not_a_code"]]
            for index, item in enumerate(data)
            if not (isinstance(item, str) and 0 < len(item.strip()) <= 20)
        }
        if malformed:
            raise serializers.ValidationError(dict(list(malformed.items())[:10]))
        codes = [item.strip().upper() for item in data]
        found = {partner.code: partner for partner in Partner.objects.filter(code__in=set(codes))}
        unknown = {index: [f"Unknown partner code {code}."] for index, code in enumerate(codes) if code not in found}
        if unknown:
            raise serializers.ValidationError(dict(list(unknown.items())[:10]))
        return [found[code] for code in codes]


# --- participants, contributions, loan items ---------------------------------------------------
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
            agreement__in=agreements_visible_to(_user(self.context))
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


# --- SSOI --------------------------------------------------------------------------------------
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


# --- documents ---------------------------------------------------------------------------------
class DocumentSerializer(LiaisonSafeMixin, serializers.ModelSerializer):
    """A file attached to an agreement. ``uploaded_by`` and ``releasable_to_partners`` are
    internal (absent for partner liaisons)."""

    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    uploaded_by = UserSummarySerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "kind",
            "title",
            "version",
            "original_name",
            "content_type",
            "sha256",
            "size",
            "marking",
            "releasable_to_partners",
            "uploaded_by",
            "uploaded_at",
            "withdrawn_at",
            "withdrawal_reason",
            "download_url",
        ]
        read_only_fields = fields
        internal_fields = ("releasable_to_partners", "uploaded_by", "withdrawn_at", "withdrawal_reason")

    def get_download_url(self, document: Document) -> str:
        request = self.context.get("request")
        path = f"/api/v1/documents/{document.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class DocumentWithdrawSerializer(serializers.Serializer):
    """Why the version is withdrawn (it stays in the history)."""

    reason = serializers.CharField(max_length=300)


class DocumentUploadSerializer(serializers.Serializer):
    """A new version of a document (multipart/form-data)."""

    agreement = VisibleAgreementField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text=f"The file (at most MAX_UPLOAD_MB, {settings.MAX_UPLOAD_MB} MB by default).")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)
    releasable_to_partners = serializers.BooleanField(default=False)


class DocumentUpdateSerializer(serializers.Serializer):
    """A document's title, marking or releasability (the file itself never changes)."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)
    releasable_to_partners = serializers.BooleanField(required=False)


# --- agreements --------------------------------------------------------------------------------
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


class PositionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    status = serializers.ChoiceField(choices=PositionStatus.choices)
    due_at = serializers.DateTimeField()
    comment = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)


class CoordinationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    opened_at = serializers.DateTimeField()
    positions = PositionBriefSerializer(many=True)


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
        round_ = CoordinationRound.objects.current_for(agreement)
        if round_ is None:
            return None
        positions = round_.positions.select_related("office").order_by("office__name")
        return CoordinationBriefSerializer(
            {"id": round_.pk, "stage": round_.stage, "opened_at": round_.opened_at, "positions": positions}
        ).data


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


class DdlDecisionSerializer(serializers.ModelSerializer):
    """The agreement's DDL / TS&FD decision: asked for by the program office, decided by a
    disclosure office (DoD only)."""

    requested_by = UserSummarySerializer(read_only=True, allow_null=True)
    deciding_office = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    deciding_office_name = serializers.CharField(source="deciding_office.name", read_only=True, allow_null=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = DdlDecision
        fields = [
            "agreement",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "deciding_office",
            "deciding_office_name",
            "decided_by",
            "decision_date",
            "document",
            "comment",
        ]
        read_only_fields = fields


class DdlRequestSerializer(serializers.Serializer):
    """The lead program office asks for the TS&FD review."""

    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DdlDecideSerializer(serializers.Serializer):
    """A disclosure office's decision (multipart/form-data with the letter, or JSON naming an
    already attached DDL document)."""

    status = serializers.ChoiceField(choices=[(s, DdlStatus(s).label) for s in DDL_DECISIONS])
    decision_date = serializers.DateField()
    comment = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text="Required when not approved."
    )
    document = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="An attached DDL document of this agreement (else the latest one, or the uploaded file).",
    )
    file = serializers.FileField(required=False, help_text="The Delegation of Disclosure Authority Letter.")


class CongressionalNoticeSerializer(serializers.Serializer):
    """The date Congress was notified (reviewer, during RFA review or the congressional wait)."""

    notice_date = serializers.DateField()


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


# --- transitions -------------------------------------------------------------------------------
class TransitionOptionSerializer(serializers.Serializer):
    """A transition out of the current state: whether the caller may run it now, or why not."""

    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField(help_text="The state (or states) it leads to, as labels.")
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    comment_required = serializers.BooleanField()
    destructive = serializers.BooleanField()
    system_only = serializers.BooleanField()


class TransitionListSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, required=False, help_text="Absent for partner liaisons.")
    partner_status = serializers.ChoiceField(choices=PartnerStatus.choices)
    transitions = TransitionOptionSerializer(many=True, help_text="Empty for partner liaisons (read only).")


class TransitionRunSerializer(serializers.Serializer):
    """Run one transition. ``record_signature`` also takes participant (id, or null for the
    United States), signature_date, signatory_name and signatory_title."""

    name = serializers.ChoiceField(choices=[(n, n) for n in TRANSITION_NAMES])
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    expected_state = serializers.ChoiceField(
        choices=State.choices,
        required=False,
        help_text="The state the caller last saw; a 409 answers if the agreement has moved on.",
    )
    participant = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="record_signature: the participant's id, or null for the United States.",
    )
    signature_date = serializers.DateField(required=False, allow_null=True, default=None)
    signatory_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    signatory_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TransitionResultSerializer(serializers.Serializer):
    """What a transition did."""

    name = serializers.CharField()
    source = serializers.ChoiceField(choices=State.choices)
    target = serializers.ChoiceField(choices=State.choices)
    timestamp = serializers.DateTimeField()
    agreement = AgreementDetailSerializer()
