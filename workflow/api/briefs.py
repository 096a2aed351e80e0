"""The open coordination round in brief, as the agreement's detail in the API shows it to DoD
users (``agreements.api.serializers.AgreementDetailSerializer``): the workflow's records, read here."""

from __future__ import annotations

from rest_framework import serializers

from agreements.models import Agreement
from workflow.models import CoordinationRound, PositionStatus


class PositionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    status = serializers.ChoiceField(choices=PositionStatus.choices)
    effective_status = serializers.ChoiceField(
        choices=PositionStatus.choices, help_text='"silence" once an unanswered position is past its deadline.'
    )
    status_label = serializers.CharField()
    due_at = serializers.DateTimeField()
    comment = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)


class CoordinationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    opened_at = serializers.DateTimeField()
    positions = PositionBriefSerializer(many=True)


def coordination_brief(agreement: Agreement) -> dict | None:
    """The agreement's current coordination round and its positions (by office name), or None."""
    round_ = CoordinationRound.objects.current_for(agreement)
    if round_ is None:
        return None
    positions = round_.positions.select_related("office").order_by("office__name")
    return CoordinationBriefSerializer(
        {"id": round_.pk, "stage": round_.stage, "opened_at": round_.opened_at, "positions": positions}
    ).data
