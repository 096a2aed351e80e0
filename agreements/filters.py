"""One FilterSet per model, used by the browser lists, the exports and the API alike."""

from __future__ import annotations

from typing import NamedTuple

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from partners.models import Organization, Partner

from .choices import AgreementKind, LegalAuthority, State
from .models import Agreement, Contribution, Document, LoanItem, Participant, parent_candidate_q_for
from .partner_status import PartnerStatus, states_with_partner_status

MAX_ID = 2**63 - 1


def IdFilter(field_name: str, label: str = "") -> django_filters.NumberFilter:  # noqa: N802
    """A filter on a numeric id that refuses values out of range with a 400 (not a 500)."""
    return django_filters.NumberFilter(
        field_name=field_name, label=label or None, min_value=1, max_value=MAX_ID, decimal_places=0
    )


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Several partners or organizations by code (``?partner=GBR&partner=FRA``), a string each in
    the OpenAPI schema."""


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering whose ties are broken by id, in the direction of the last key, so a page holds
    the same rows each time it is asked for (and an index on ``(key, id)`` serves it)."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            order = [str(term) for term in qs.query.order_by]
            if order and not any(term.lstrip("-") in ("pk", "id") for term in order):
                qs = qs.order_by(*order, "-pk" if order[-1].startswith("-") else "pk")
        return qs


class Sort(NamedTuple):
    """A field agreements may be sorted by, and the option the list page offers for it: ``label``
    ("" when the page offers none), sorting in ``descending`` order."""

    field: str
    label: str = ""
    descending: bool = False

    @property
    def option(self) -> tuple[str, str]:
        """The page's option: (``ordering`` value, label)."""
        return (f"-{self.field}" if self.descending else self.field, self.label)


# Every field agreements may be sorted by, declared once: the ``ordering`` filter of the list
# page, the exports and the API (either direction) allows these, and the list page offers those
# with a label, in this order.
AGREEMENT_SORTS = (
    Sort("created_at", "Newest first", descending=True),
    Sort("reference", "Reference"),
    Sort("title", "Title (A–Z)"),
    Sort("state", "State"),
    Sort("state_changed_at", "Recently changed", descending=True),
    Sort("expiration_date", "Expiring soonest"),
    Sort("effective_date", "Effective date"),
    Sort("kind"),
)


class AgreementFilterSet(django_filters.FilterSet):
    """Search, filter and sort agreements. Querysets given to it must already be restricted
    with ``agreements_visible_to``."""

    q = django_filters.CharFilter(method="filter_q", label="Search reference or title")
    # distinct=False: none of these filters joins a table that multiplies rows, and DISTINCT
    # doubles the cost of the page and of its COUNT.
    kind = django_filters.MultipleChoiceFilter(choices=AgreementKind.choices, distinct=False)
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(
        choices=PartnerStatus.choices, method="filter_status", label="Partner-facing status", distinct=False
    )
    authority = django_filters.MultipleChoiceFilter(choices=LegalAuthority.choices, distinct=False)
    partner = CodeMultipleChoiceFilter(
        queryset=Partner.objects.all(),
        to_field_name="code",
        method="filter_partner",
        label="Partner",
        distinct=False,
    )
    organization = CodeMultipleChoiceFilter(
        field_name="lead_organization__code",
        queryset=Organization.objects.all(),
        to_field_name="code",
        label="Lead organization",
        distinct=False,
    )
    effective_after = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="gte", label="Effective on or after"
    )
    effective_before = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="lte", label="Effective on or before"
    )
    expires_after = django_filters.DateFilter(
        field_name="expiration_date", lookup_expr="gte", label="Expires on or after"
    )
    expires_before = django_filters.DateFilter(
        field_name="expiration_date", lookup_expr="lte", label="Expires on or before"
    )
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    parent_candidate_for = django_filters.ChoiceFilter(
        choices=[(AgreementKind.PROJECT_ARRANGEMENT, "project arrangement"), (AgreementKind.AMENDMENT, "amendment")],
        method="filter_parent_candidate_for",
        label="May be the parent of a new",
    )
    ordering = StableOrderingFilter(fields=tuple((sort.field, sort.field) for sort in AGREEMENT_SORTS), label="Sort by")

    class Meta:
        model = Agreement
        fields = ["q", "kind", "state", "status", "authority", "partner", "organization"]

    # The filters the list page offers, in its order (it renders them from this FilterSet's form):
    # a liaison is offered the partner-facing status instead of the state, and no lead organization.
    PAGE_FILTERS = (
        "q",
        "kind",
        "state",
        "authority",
        "partner",
        "organization",
        "expires_after",
        "expires_before",
        "effective_after",
        "effective_before",
    )
    LIAISON_PAGE_FILTERS = tuple(
        "status" if name == "state" else name for name in PAGE_FILTERS if name != "organization"
    )
    # The sort options the list page offers, in its order: (``ordering`` value, label), from
    # ``AGREEMENT_SORTS``. Only those the ``ordering`` filter allows this user are offered
    # (``sort_options``).
    SORT_OPTIONS = tuple(sort.option for sort in AGREEMENT_SORTS if sort.label)

    # What a partner liaison may not filter or sort by: the internal state, and when it last
    # changed (from which a return or a delay could be inferred).
    LIAISON_HIDDEN_FILTERS = ("state",)
    LIAISON_HIDDEN_ORDERING = ("state", "state_changed_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_liaison", False):
            for name in self.LIAISON_HIDDEN_FILTERS:
                self.filters.pop(name, None)
            ordering = StableOrderingFilter(
                fields=tuple(
                    (field, param)
                    for param, field in self.filters["ordering"].param_map.items()
                    if field not in self.LIAISON_HIDDEN_ORDERING
                ),
                label="Sort by",
            )
            ordering.field_name = "ordering"
            ordering.model = self._meta.model
            ordering.parent = self
            self.filters["ordering"] = ordering

    @property
    def is_liaison(self) -> bool:
        return bool(getattr(getattr(self.request, "user", None), "is_liaison", False))

    def page_filters(self) -> tuple[str, ...]:
        """The names of the filters the list page shows this user, in order."""
        return self.LIAISON_PAGE_FILTERS if self.is_liaison else self.PAGE_FILTERS

    def sort_options(self) -> list[tuple[str, str]]:
        """``SORT_OPTIONS`` this user may sort by (a liaison: not by the internal state)."""
        allowed = self.filters["ordering"].param_map
        return [(value, label) for value, label in self.SORT_OPTIONS if value.lstrip("-") in allowed]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(state__in=states_with_partner_status(value))

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

    @extend_schema_field({"type": "string", "enum": [AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT]})
    def filter_parent_candidate_for(self, queryset, name, value):
        """The agreements that may be the parent of a new agreement of this kind (the rule of
        ``agreements.selectors.parent_candidates``, which the proposal form lists)."""
        return queryset.filter(parent_candidate_q_for(self.request.user, value)) if value else queryset


class DocumentFilterSet(django_filters.FilterSet):
    """Documents by kind, agreement (its reference, or ``agreement_id``), releasability and
    marking."""

    kind = django_filters.MultipleChoiceFilter(choices=Document._meta.get_field("kind").choices)
    agreement = django_filters.CharFilter(field_name="agreement__reference")
    agreement_id = IdFilter("agreement_id", "Agreement id")

    class Meta:
        model = Document
        fields = ["kind", "agreement", "releasable_to_partners", "marking", "agreement_id"]


class ParticipantFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    partner = django_filters.CharFilter(field_name="partner__code", lookup_expr="iexact", max_length=12)
    role = django_filters.ChoiceFilter(choices=Participant._meta.get_field("role").choices)

    class Meta:
        model = Participant
        fields = ["agreement", "partner", "role"]


class ContributionFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")
    participant = IdFilter("participant_id", "Participant id")
    united_states = django_filters.BooleanFilter(
        field_name="participant", lookup_expr="isnull", label="Only the United States' own contributions"
    )
    kind = django_filters.ChoiceFilter(choices=Contribution._meta.get_field("kind").choices)

    class Meta:
        model = Contribution
        fields = ["agreement", "participant", "united_states", "kind"]


class LoanItemFilterSet(django_filters.FilterSet):
    agreement = IdFilter("agreement_id", "Agreement id")

    class Meta:
        model = LoanItem
        fields = ["agreement"]
