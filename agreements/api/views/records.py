"""The endpoints of an agreement's parts: participants, contributions and Section 65 loan items."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from agreements import services
from agreements.filters import ContributionFilterSet, LoanItemFilterSet, ParticipantFilterSet
from agreements.models import LoanItem, Participant
from agreements.selectors import agreements_visible_to, contributions_visible_to
from icp_portal.api import PortalViewMixin, ServiceDoors, ServiceViewSetMixin

from .. import serializers as s
from .common import NO_CONTENT


# --- participants, contributions, loan items ---------------------------------------------------
@extend_schema_view(
    create=extend_schema(request=s.ParticipantCreateSerializer, responses={201: s.ParticipantSerializer}),
    partial_update=extend_schema(request=s.ParticipantUpdateSerializer, responses=s.ParticipantSerializer),
    destroy=extend_schema(responses={204: NO_CONTENT}),
)
class ParticipantViewSet(
    PortalViewMixin,
    ServiceViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Partners taking part in agreements (``?agreement=<id>``)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = s.ParticipantSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ParticipantFilterSet
    service_doors = ServiceDoors(
        "participant",
        create=services.participant_add,
        update=services.participant_update,
        destroy=services.participant_remove,
    )
    create_serializer_class = s.ParticipantCreateSerializer
    update_serializer_class = s.ParticipantUpdateSerializer

    def get_queryset(self):
        return (
            Participant.objects.filter(agreement__in=agreements_visible_to(self.request.user))
            .select_related("partner", "agreement")
            .order_by("agreement_id", "-role", "partner__name", "pk")
        )


@extend_schema_view(
    create=extend_schema(request=s.ContributionCreateSerializer, responses={201: s.ContributionSerializer}),
    partial_update=extend_schema(request=s.ContributionUpdateSerializer, responses=s.ContributionSerializer),
    destroy=extend_schema(responses={204: NO_CONTENT}),
)
class ContributionViewSet(
    PortalViewMixin,
    ServiceViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Financial and in-kind contributions (``?agreement=<id>``, ``?participant=<id>``)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = s.ContributionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContributionFilterSet
    service_doors = ServiceDoors(
        "contribution",
        create=services.contribution_add,
        update=services.contribution_update,
        destroy=services.contribution_delete,
    )
    create_serializer_class = s.ContributionCreateSerializer
    update_serializer_class = s.ContributionUpdateSerializer

    def get_queryset(self):
        return (
            contributions_visible_to(self.request.user)
            .select_related("participant__partner", "agreement")
            .order_by("agreement_id", "participant_id", "fiscal_year", "pk")
        )


@extend_schema_view(
    create=extend_schema(request=s.LoanItemCreateSerializer, responses={201: s.LoanItemSerializer}),
    destroy=extend_schema(responses={204: NO_CONTENT}),
)
class LoanItemViewSet(
    PortalViewMixin,
    ServiceViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Section 65 loan lists (``?agreement=<id>``)."""

    http_method_names = ["get", "post", "delete", "head", "options"]  # a line is replaced, not edited
    serializer_class = s.LoanItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LoanItemFilterSet
    service_doors = ServiceDoors("loan_item", create=services.loan_item_add, destroy=services.loan_item_delete)
    create_serializer_class = s.LoanItemCreateSerializer

    def get_queryset(self):
        return LoanItem.objects.filter(agreement__in=agreements_visible_to(self.request.user)).order_by(
            "agreement_id", "pk"
        )
