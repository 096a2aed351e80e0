"""The documents endpoint: upload, edit, withdraw and download, for the documents the caller may
see."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from agreements import services
from agreements.filters import DocumentFilterSet
from agreements.models import Document
from agreements.selectors import documents_visible_to
from icp_portal.api import PortalViewMixin, ServiceDoors, ServiceViewSetMixin
from icp_portal.api_errors import UploadTooLarge
from icp_portal.downloads import document_response, download_refused
from icp_portal.security.parsers import BoundedJSONParser

from .. import serializers as s


# --- documents ---------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        summary="Upload a new version of a document (multipart/form-data)",
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentSerializer},
    ),
    partial_update=extend_schema(request=s.DocumentUpdateSerializer, responses=s.DocumentSerializer),
)
class DocumentViewSet(
    PortalViewMixin,
    ServiceViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Documents the caller may see (a liaison: only those marked releasable). Files are
    downloaded through ``/documents/{id}/download/``, which checks the same rule."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = s.DocumentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilterSet
    service_doors = ServiceDoors("document", create=services.document_upload, update=services.document_update)
    create_serializer_class = s.DocumentUploadSerializer
    update_serializer_class = s.DocumentUpdateSerializer

    def get_parsers(self):
        if getattr(self, "action", None) == "create" or self.request is None or self.request.method == "POST":
            return [MultiPartParser(), FormParser()]
        return [BoundedJSONParser(), MultiPartParser(), FormParser()]

    def get_queryset(self):
        return (
            documents_visible_to(self.request.user)
            .select_related("agreement", "uploaded_by")
            .order_by("agreement_id", "kind", "-version", "pk")
        )

    def create(self, request, *args, **kwargs):
        # Refused before the body is validated: an oversized upload is a 413, not a 400.
        upload = request.FILES.get("file")
        if upload is not None and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            raise UploadTooLarge()
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data: dict) -> Document:
        upload = data["file"]
        return self.service_doors.create(
            agreement=data["agreement"],
            user=self.request.user,
            kind=data["kind"],
            content=upload.read(),
            filename=upload.name,
            title=data.get("title", ""),
            content_type=getattr(upload, "content_type", "") or "",
            marking=data.get("marking"),
            releasable_to_partners=data.get("releasable_to_partners", False),
        )

    @extend_schema(
        summary="Withdraw a wrong or superseded version (it stays in the history)",
        request=s.DocumentWithdrawSerializer,
        responses=s.DocumentSerializer,
    )
    @action(detail=True, methods=["post"], url_path="withdraw", url_name="withdraw")
    def withdraw(self, request, pk=None):
        document = self.get_object()
        data = self.service_input(s.DocumentWithdrawSerializer)
        document = services.document_withdraw(document=document, user=request.user, reason=data["reason"])
        return Response(s.DocumentSerializer(document, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Download the file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The file, always as an attachment."
            )
        },
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None):
        try:
            document = self.get_object()
        except Http404:
            raise download_refused(
                request._request, wanted=f"document {pk}", detail="no such document for this user"
            ) from None
        # The API answers application/octet-stream whatever the file, as its schema says.
        return document_response(
            request._request,
            document,
            content_type="application/octet-stream",
            headers={"X-Document-SHA256": document.sha256},
            missing=NotFound,
        )
