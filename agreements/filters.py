"""One FilterSet per model, used by the browser lists, the exports and the API alike."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q

from partners.models import Organization, Partner

from .choices import AgreementKind, LegalAuthority, State
from .models import Agreement, Contribution, Document, LoanItem, Participant, parent_candidate_q

MAX_ID = 2**63 - 1


def IdFilter(field_name: str, label: str = "") -> django_filters.NumberFilter:  # noqa: N802
    """A filter on a numeric id that refuses values out of range with a 400 (not a 500)."""
    return django_filters.NumberFilter(
        field_name=field_name, label=label or None, min_value=1, max_value=MAX_ID, decimal_places=0
    )


class AgreementFilterSet(django_filters.FilterSet):
    """Search, filter and sort agreements. Querysets given to it must already be restricted
    with ``agreements_visible_to``."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=AgreementKind.choices)
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    authority = django_filters.MultipleChoiceFilter(choices=LegalAuthority.choices)
    partner = django_filters.ModelMultipleChoiceFilter(
        queryset=Partner.objects.all(), to_field_name="code", method="filter_partner", label="Partner"
    )
    organization = django_filters.ModelMultipleChoiceFilter(
        field_name="lead_organization__code",
        queryset=Organization.objects.all(),
        to_field_name="code",
        label="Lead organization",
    )
    effective_after = django_filters.DateFilter(field_name="effective_date", lookup_expr="gte")
    effective_before = django_filters.DateFilter(field_name="effective_date", lookup_expr="lte")
    expires_after = django_filters.DateFilter(field_name="expiration_date", lookup_expr="gte")
    expires_before = django_filters.DateFilter(field_name="expiration_date", lookup_expr="lte")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    parent_candidate_for = django_filters.ChoiceFilter(
        choices=[(AgreementKind.PROJECT_ARRANGEMENT, "project arrangement"), (AgreementKind.AMENDMENT, "amendment")],
        method="filter_parent_candidate_for",
        label="May be the parent of a new",
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("kind", "kind"),
            ("state", "state"),
            ("state_changed_at", "state_changed_at"),
            ("effective_date", "effective_date"),
            ("expiration_date", "expiration_date"),
            ("created_at", "created_at"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Agreement
        fields = ["q", "kind", "state", "authority", "partner", "organization"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(short_title__icontains=value)
        )

    def filter_partner(self, queryset, name, value):
        if not value:
            return queryset
        partner_ids = [p.pk for p in value]
        return queryset.filter(Exists(Participant.objects.filter(agreement=OuterRef("pk"), partner_id__in=partner_ids)))

    def filter_parent_candidate_for(self, queryset, name, value):
        """The agreements that may be the parent of a new agreement of this kind (the rule of
        ``agreements.selectors.parent_candidates``, which the proposal form lists)."""
        return queryset.filter(parent_candidate_q(value)) if value else queryset


class DocumentFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Document._meta.get_field("kind").choices)
    agreement = django_filters.CharFilter(field_name="agreement__reference")

    class Meta:
        model = Document
        fields = ["kind", "agreement", "releasable_to_partners", "marking"]


class ParticipantFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    partner = django_filters.CharFilter(field_name="partner__code", lookup_expr="iexact", max_length=12)
    role = django_filters.ChoiceFilter(choices=Participant._meta.get_field("role").choices)

    class Meta:
        model = Participant
        fields = ["agreement", "partner", "role"]


class ContributionFilterSet(django_filters.FilterSet):
    agreement = IdFilter("participant__agreement_id", "Agreement id")
    participant = IdFilter("participant_id", "Participant id")
    kind = django_filters.ChoiceFilter(choices=Contribution._meta.get_field("kind").choices)

    class Meta:
        model = Contribution
        fields = ["agreement", "participant", "kind"]


class LoanItemFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")

    class Meta:
        model = LoanItem
        fields = ["agreement"]
