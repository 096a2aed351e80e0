"""Read-only reference data for scripts and partner systems, and ``/me/``.

Reference data is maintained in the admin; the API only reads it.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from icp_portal.api import PortalViewMixin
from partners.models import CoordinatingOffice, Organization, Partner

from . import schema as _schema  # noqa: F401  (registers the token scheme)
from .serializers import (
    CoordinatingOfficeSerializer,
    MeSerializer,
    OrganizationSerializer,
    PartnerSerializer,
)


class PartnerViewSet(PortalViewMixin, viewsets.ReadOnlyModelViewSet):
    """Partner nations and international organizations (``?search=`` on code and name)."""

    queryset = Partner.objects.order_by("name", "pk")
    serializer_class = PartnerSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class OrganizationViewSet(PortalViewMixin, viewsets.ReadOnlyModelViewSet):
    """DoD Components that lead agreements."""

    queryset = Organization.objects.order_by("name", "pk")
    serializer_class = OrganizationSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class CoordinatingOfficeViewSet(PortalViewMixin, viewsets.ReadOnlyModelViewSet):
    """Offices consulted in coordination rounds. Coordination is internal: a partner liaison
    gets an empty list."""

    serializer_class = CoordinatingOfficeSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        if getattr(self.request.user, "is_liaison", False):
            return CoordinatingOffice.objects.none()
        return CoordinatingOffice.objects.order_by("name", "pk")


class MeView(PortalViewMixin, APIView):
    """The caller's own account: role, organization, office or partner."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)
