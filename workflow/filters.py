"""One FilterSet per workflow model: coordination rounds and positions, reporting obligations
and the audit trail. Querysets given to them are already restricted to what the caller sees."""

from __future__ import annotations

import django_filters

from agreements.filters import IdFilter
from workflow.models import (
    CoordinationPosition,
    CoordinationRound,
    ObligationKind,
    PositionStatus,
    ReportingObligation,
    TransitionLog,
)


class RoundFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    stage = django_filters.ChoiceFilter(choices=CoordinationRound._meta.get_field("stage").choices)
    open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", label="Open rounds only")

    class Meta:
        model = CoordinationRound
        fields = ["agreement", "stage", "open"]


class PositionFilterSet(django_filters.FilterSet):
    agreement = IdFilter("round__agreement_id", "Agreement id")
    round = IdFilter("round_id", "Round id")
    office = django_filters.CharFilter(field_name="office__code", lookup_expr="iexact", max_length=20)
    status = django_filters.ChoiceFilter(choices=PositionStatus.choices)
    open = django_filters.BooleanFilter(field_name="round__closed_at", lookup_expr="isnull", label="Open rounds only")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only my office's positions")

    class Meta:
        model = CoordinationPosition
        fields = ["agreement", "round", "office", "status", "open", "mine"]

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        office_id = getattr(self.request.user, "coordinating_office_id", None)
        if value:
            return queryset.filter(office_id=office_id) if office_id else queryset.none()
        return queryset.exclude(office_id=office_id) if office_id else queryset


class ObligationFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    kind = django_filters.ChoiceFilter(choices=ObligationKind.choices)
    completed = django_filters.BooleanFilter(field_name="completed_date", lookup_expr="isnull", exclude=True)
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = ReportingObligation
        fields = ["agreement", "kind", "completed", "due_before", "due_after"]


class AuditFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    transition = django_filters.CharFilter(max_length=40, label="Event or transition name")
    after = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = TransitionLog
        fields = ["agreement", "transition", "after", "before"]
