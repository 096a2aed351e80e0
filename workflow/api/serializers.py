"""Serializers of the lifecycle (transitions, the congressional notice), coordination, obligations,
the audit trail, the dashboard and render jobs."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from agreements.api.serializers import AgreementDetailSerializer
from agreements.choices import State
from agreements.partner_status import PartnerStatus
from partners.api.common import BoundedListField, LiaisonSafeMixin
from partners.api.serializers import UserSummarySerializer
from partners.models import CoordinatingOffice
from workflow.models import (
    CoordinationPosition,
    CoordinationRound,
    PositionStatus,
    RenderJob,
    ReportingObligation,
    TransitionLog,
)
from workflow.transitions import TRANSITION_NAMES, event_label


class CoordinationPositionSerializer(serializers.ModelSerializer):
    """One office's position in a round, due at its silence deadline."""

    agreement = serializers.IntegerField(source="round.agreement_id", read_only=True)
    agreement_reference = serializers.CharField(source="round.agreement.reference", read_only=True)
    stage = serializers.CharField(source="round.stage", read_only=True)
    round_open = serializers.BooleanField(source="round.is_open", read_only=True)
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    responded_by = UserSummarySerializer(read_only=True, allow_null=True)
    effective_status = serializers.ChoiceField(
        choices=PositionStatus.choices,
        read_only=True,
        help_text='The status as it counts now: "silence" once an unanswered position is past its deadline, '
        "even before the sweep records it (`status` is the stored value).",
    )
    status_label = serializers.CharField(read_only=True, help_text="`effective_status` as people read it.")

    class Meta:
        model = CoordinationPosition
        fields = [
            "id",
            "round",
            "agreement",
            "agreement_reference",
            "stage",
            "round_open",
            "office",
            "office_name",
            "status",
            "effective_status",
            "status_label",
            "comment",
            "due_at",
            "responded_by",
            "responded_at",
        ]
        read_only_fields = fields


class PositionRecordSerializer(serializers.Serializer):
    """A coordinator's position for its own office."""

    status = serializers.ChoiceField(
        choices=[
            (s, PositionStatus(s).label)
            for s in (PositionStatus.CONCUR, PositionStatus.NON_CONCUR, PositionStatus.COMMENT)
        ]
    )
    comment = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for a non-concurrence or a comment.",
    )


class CoordinationRoundSerializer(serializers.ModelSerializer):
    """A RAD or RFA coordination round and its positions."""

    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    positions = CoordinationPositionSerializer(many=True, read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = CoordinationRound
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "stage",
            "opened_at",
            "closed_at",
            "outcome",
            "is_open",
            "positions",
        ]
        read_only_fields = fields


class RoundOfficesSerializer(serializers.Serializer):
    """The offices that take part in the open round (reviewer)."""

    offices = BoundedListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=CoordinatingOffice.objects.filter(active=True)),
        min_length=1,
        max_length=50,
        help_text="Coordinating office codes.",
    )


class ReportingObligationSerializer(serializers.ModelSerializer):
    """A clock started by entry into force."""

    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    completed_by = UserSummarySerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ReportingObligation
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "kind",
            "due_date",
            "completed_date",
            "completed_by",
            "notes",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, obligation: ReportingObligation) -> bool:
        return obligation.is_overdue()


class ObligationCompleteSerializer(serializers.Serializer):
    completed_date = serializers.DateField()
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TransitionLogSerializer(LiaisonSafeMixin, serializers.ModelSerializer):
    """One row of the append-only audit trail. Who acted, the comment and the request details
    are internal (absent for partner liaisons, who see only state changes)."""

    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    label = serializers.SerializerMethodField()
    user = UserSummarySerializer(read_only=True, allow_null=True)
    actor = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)
    target = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TransitionLog
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "transition",
            "label",
            "source",
            "target",
            "timestamp",
            "user",
            "actor",
            "comment",
            "data",
            "request_id",
            "client_address",
        ]
        read_only_fields = fields
        internal_fields = ("user", "actor", "comment", "data", "request_id", "client_address")

    def get_label(self, log: TransitionLog) -> str:
        return event_label(log.transition)


class CountSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class MedianDaysSerializer(serializers.Serializer):
    state = serializers.CharField()
    label = serializers.CharField()
    median = serializers.FloatField(allow_null=True, help_text="Days; null when no agreement passed the stage.")
    count = serializers.IntegerField(help_text="Agreements measured.")


class DashboardSerializer(LiaisonSafeMixin, serializers.Serializer):
    """The figures on the caller's dashboard, over the agreements it may see."""

    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Not expired, terminated, withdrawn or disapproved.")
    in_force = serializers.IntegerField()
    by_state = CountSerializer(many=True)
    by_kind = CountSerializer(many=True)
    by_partner = CountSerializer(
        many=True,
        help_text="Open agreements per partner (key: partner code): the 12 partners with the most, most first.",
    )
    by_partner_more = serializers.IntegerField(
        help_text="How many further partners have open agreements (see the agreement list filtered by partner)."
    )
    median_days = MedianDaysSerializer(many=True, help_text="Median days spent in each main-line stage.")
    in_review = serializers.IntegerField(help_text="In RAD or RFA review.")
    expiring_within_180_days = serializers.IntegerField()
    positions_due = serializers.IntegerField(help_text="Open positions of the caller's office.")
    stalled_reviews = serializers.SerializerMethodField(
        help_text="Agreements in review longer than STALLED_STAGE_DAYS allows (the review queue's definition)."
    )
    obligations_overdue = serializers.IntegerField()
    obligations_open = serializers.IntegerField()

    def get_stalled_reviews(self, figures) -> int:
        return figures["stalled_reviews_count"]

    class Meta:
        internal_fields = (
            "in_review",
            "median_days",
            "positions_due",
            "stalled_reviews",
            "obligations_overdue",
            "obligations_open",
        )


class ReviewQueueRowSerializer(serializers.Serializer):
    """One agreement awaiting OUSD(A&S) review, with what makes it urgent."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    lead_organization = serializers.CharField(source="lead_organization.code")
    partners = serializers.SerializerMethodField()
    state_changed_at = serializers.DateTimeField(help_text="When the review began.")
    days_in_review = serializers.SerializerMethodField()
    stalled = serializers.BooleanField(help_text="In review longer than STALLED_STAGE_DAYS allows.")
    nearest_deadline = serializers.DateTimeField(
        allow_null=True, help_text="The earliest silence deadline of an office still awaited; null when all answered."
    )
    deadline_passed = serializers.BooleanField(help_text="An awaited office is past its silence deadline.")
    needs_attention = serializers.BooleanField(help_text="Stalled or past a deadline: listed first.")

    def get_partners(self, agreement) -> list[str]:
        return [p.partner.code for p in agreement.participants.all()]

    def get_days_in_review(self, agreement) -> int:
        return (timezone.now() - agreement.state_changed_at).days


class RenderJobSerializer(serializers.ModelSerializer):
    """A PDF the caller asked for and its progress."""

    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RenderJob
        fields = [
            "id",
            "kind",
            "agreement",
            "agreement_reference",
            "status",
            "document",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job: RenderJob) -> str | None:
        if job.document_id is None:
            return None
        request = self.context.get("request")
        path = f"/api/v1/documents/{job.document_id}/download/"
        return request.build_absolute_uri(path) if request else path


class PositionReminderSerializer(serializers.Serializer):
    """The reminder sent: which office, and how many of its coordinators were notified."""

    position = serializers.IntegerField()
    office = serializers.CharField()
    notified = serializers.IntegerField()


# --- lifecycle ---------------------------------------------------------------------------------
class CongressionalNoticeSerializer(serializers.Serializer):
    """The date Congress was notified (reviewer, during RFA review or the congressional wait)."""

    notice_date = serializers.DateField()


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
