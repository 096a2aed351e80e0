"""Serializers of documents and of the DDL / TS&FD decision that may attach one."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from agreements.choices import DDL_DECISIONS, DdlStatus, DocumentKind, Marking
from agreements.models import DdlDecision, Document
from partners.api.common import LiaisonSafeMixin
from partners.api.serializers import UserSummarySerializer

from .fields import VisibleAgreementField


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
