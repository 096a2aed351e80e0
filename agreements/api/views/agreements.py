"""The agreements endpoint: the list (built from plain rows), the record, its SSOI, its DDL /
TS&FD decision and its equitability table."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from agreements import services
from agreements.filters import AgreementFilterSet
from agreements.models import Agreement, Document
from agreements.selectors import agreements_visible_to, equitability_table
from icp_portal.api import PortalFilterBackend, PortalViewMixin, ServiceDoors, ServiceViewSetMixin
from icp_portal.api_errors import UploadTooLarge
from icp_portal.security.parsers import BoundedJSONParser
from workflow.selectors import agreements_visible_count

from .. import serializers as s


def _liaison(request) -> bool:
    return bool(getattr(request.user, "is_liaison", False))


# Query parameters that neither filter nor scope the agreement list.
UNFILTERED_PARAMS = frozenset({"page", "page_size", "ordering", "format"})


# --- agreements --------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the agreements the caller may see"),
    retrieve=extend_schema(summary="One agreement", responses=s.AgreementDetailSerializer),
    create=extend_schema(
        summary="Log a proposal (program office)",
        request=s.AgreementCreateSerializer,
        responses={201: s.AgreementDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit the record (lead program office)",
        request=s.AgreementUpdateSerializer,
        responses=s.AgreementDetailSerializer,
    ),
)
class AgreementViewSet(
    PortalViewMixin,
    ServiceViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Agreements of every kind. Filters: kind, state, authority, partner (codes), organization
    (codes), effective/expiry/creation date ranges, ``q`` (reference and titles), ``ordering``."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [PortalFilterBackend]
    filterset_class = AgreementFilterSet
    serializer_class = s.AgreementSerializer
    service_doors = ServiceDoors("agreement", create=services.agreement_create, update=services.agreement_update)
    create_serializer_class = s.AgreementCreateSerializer
    update_serializer_class = s.AgreementUpdateSerializer

    def get_queryset(self):
        if self.action == "list":
            # The list reads its rows and their relations itself (``list``).
            return agreements_visible_to(self.request.user)
        return (
            agreements_visible_to(self.request.user)
            .with_list_relations()
            .select_related("ssoi", "lead_organization", "parent")
        )

    def get_serializer_class(self):
        if self.action == "list":
            return s.AgreementSerializer
        return s.AgreementDetailSerializer

    def list(self, request, *args, **kwargs):
        """``AgreementSerializer``'s output for the page, built from plain rows by
        ``AgreementListRows`` (the schema still describes the list with the serializer)."""
        rows = s.AgreementListRows(self.get_serializer_context())
        # Unfiltered (paging and ordering only), the count is every visible agreement: cached.
        unfiltered = set(request.query_params) <= UNFILTERED_PARAMS
        known_count = agreements_visible_count(request.user) if unfiltered else None
        pageable = rows.pageable(self.filter_queryset(self.get_queryset()), known_count=known_count)
        page = self.paginate_queryset(pageable)
        if page is None:
            return Response(rows.build(list(pageable)))
        return self.get_paginated_response(rows.build(page))

    def service_response(self, agreement: Agreement, status_code: int = status.HTTP_200_OK) -> Response:
        """The agreement as it is now, in detail (read again with the detail relations)."""
        fresh = self.get_queryset().get(pk=agreement.pk)
        return Response(
            s.AgreementDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(methods=["GET"], summary="The agreement's SSOI (DoD only)", responses=s.SsoiSerializer)
    @extend_schema(
        methods=["PATCH"],
        summary="Save SSOI sections (lead program office, while it holds the pen)",
        request=s.SsoiUpdateSerializer,
        responses=s.SsoiSerializer,
    )
    @action(detail=True, methods=["get", "patch"], url_path="ssoi", url_name="ssoi")
    def ssoi(self, request, pk=None):
        if _liaison(request):
            # The SSOI is the U.S. internal business case: outside what partners see, so a 404
            # for reads and writes alike.
            raise NotFound("Not found.")
        agreement = self.get_object()
        if request.method == "PATCH":
            data = self.service_input(s.SsoiUpdateSerializer)
            ssoi = services.ssoi_update(agreement=agreement, user=request.user, **data)
        else:
            ssoi = getattr(agreement, "ssoi", None)
            if ssoi is None:
                raise NotFound("This agreement has no SSOI.")
        return Response(s.SsoiSerializer(ssoi, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Confirm the SSOI was reviewed after negotiation began (lead program office)",
        request=None,
        responses=s.SsoiSerializer,
    )
    @action(detail=True, methods=["post"], url_path="ssoi/confirm-review", url_name="ssoi-confirm-review")
    def ssoi_confirm_review(self, request, pk=None):
        if _liaison(request):
            raise NotFound("Not found.")
        agreement = self.get_object()
        ssoi = services.ssoi_confirm_reviewed(agreement=agreement, user=request.user)
        return Response(s.SsoiSerializer(ssoi, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], summary="The DDL / TS&FD decision (DoD only)", responses=s.DdlDecisionSerializer)
    @action(detail=True, methods=["get"], url_path="ddl", url_name="ddl")
    def ddl(self, request, pk=None):
        if _liaison(request):
            raise NotFound("Not found.")  # an internal U.S. record
        return Response(s.DdlDecisionSerializer(services.ddl_for(self.get_object())).data)

    @extend_schema(
        summary="Ask for the DDL / TS&FD review (lead program office)",
        request=s.DdlRequestSerializer,
        responses=s.DdlDecisionSerializer,
    )
    @action(detail=True, methods=["post"], url_path="ddl/request", url_name="ddl-request")
    def ddl_request(self, request, pk=None):
        agreement = self.get_object()
        data = self.service_input(s.DdlRequestSerializer)
        ddl = services.ddl_review_request(agreement=agreement, user=request.user, **data)
        return Response(s.DdlDecisionSerializer(ddl).data)

    @extend_schema(
        summary="Record the DDL decision (a disclosure office's coordinator)",
        request={"multipart/form-data": s.DdlDecideSerializer, "application/json": s.DdlDecideSerializer},
        responses=s.DdlDecisionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="ddl/decision",
        url_name="ddl-decision",
        parser_classes=[BoundedJSONParser, MultiPartParser, FormParser],
    )
    def ddl_decision(self, request, pk=None):
        agreement = self.get_object()
        upload = request.FILES.get("file")
        if upload is not None and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            raise UploadTooLarge()
        data = self.service_input(s.DdlDecideSerializer)
        document = None
        if data.get("document"):
            document = Document.objects.filter(pk=data["document"], agreement=agreement).first()
            if document is None:
                raise ValidationError({"document": "Choose a DDL document of this agreement."})
        upload = data.get("file")
        ddl = services.ddl_decide(
            agreement=agreement,
            user=request.user,
            status=data["status"],
            decision_date=data["decision_date"],
            comment=data.get("comment", ""),
            document=document,
            content=upload.read() if upload else None,
            filename=upload.name if upload else "",
            content_type=(getattr(upload, "content_type", "") or "") if upload else "",
        )
        return Response(s.DdlDecisionSerializer(ddl).data)

    @extend_schema(
        summary="Each participant's contributions and share of the whole (DoD only)",
        responses=s.EquitabilityRowSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="equitability", url_name="equitability", pagination_class=None)
    def equitability(self, request, pk=None):
        if _liaison(request):
            # Other nations' contributions and the U.S. view of their balance stay internal, as on
            # the DoD-only participants tab; a liaison sees its own contributions on the agreement.
            raise NotFound("Not found.")
        agreement = self.get_object()
        return Response(s.EquitabilityRowSerializer(equitability_table(agreement), many=True).data)
