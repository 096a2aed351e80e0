"""Documents attached to an agreement, and its DDL / TS&FD decision."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ..choices import INTERNAL_GENERATED_DOCUMENT_KINDS, DdlStatus, DocumentKind, Marking
from ..validation import ddl_is_approved
from .agreement import Agreement


class DocumentQuerySet(models.QuerySet):
    def current(self) -> DocumentQuerySet:
        """Versions that count: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


def document_upload_to(instance: Document, filename: str) -> str:
    """Where a document's file is stored: by agreement, kind and version."""
    return f"agreements/{instance.agreement.reference}/{instance.kind}/v{instance.version}-{filename}"


class Document(models.Model):
    """A file attached to an agreement: texts, SSOI PDFs, DDLs, notices. Versioned per kind."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    file = models.FileField(upload_to=document_upload_to, max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    marking = models.CharField(max_length=20, choices=Marking.choices, default=Marking.CUI)
    releasable_to_partners = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A withdrawn version stays in the history but no longer counts.",
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    text = models.TextField(
        blank=True, editable=False, help_text="The words of the file, extracted at upload for search and comparison."
    )

    history = HistoricalRecords(excluded_fields=["text"])
    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "kind", "-version"]
        # The most recently released documents (the liaison's page) without sorting them all.
        indexes = [models.Index(fields=["-uploaded_at", "-id"], name="document_newest_first")]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "version"], name="document_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} of {self.agreement.reference}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    def clean(self) -> None:
        if self.releasable_to_partners and self.agreement_id:
            denial = document_release_denial(self.agreement, self.kind)
            if denial:
                raise ValidationError({"releasable_to_partners": denial})


def document_release_denial(agreement: Agreement, kind: str) -> str | None:
    """Why a document of ``kind`` may not be marked releasable to partners (None when it may):
    generated PDFs with internal content never are, and nothing is before the DDL is approved.
    Document.clean() asks it, so the services, the admin and every form refuse alike."""
    if kind in INTERNAL_GENERATED_DOCUMENT_KINDS:
        return (
            f"The {DocumentKind(kind).label} carries internal content (transition comments, coordination "
            "positions) and is never releasable to partners; partners get the partner summary instead."
        )
    if not ddl_is_approved(agreement):
        return (
            f"The DDL of {agreement.reference} is not approved: no document may be released to partners "
            "before a disclosure office approves it."
        )
    return None


class DdlDecision(models.Model):
    """The DDL / TS&FD decision of one agreement: the program office asks for the review; a
    disclosure office (a coordinating office flagged as one, DTSA by default) approves or refuses
    it, with the decision date and the Delegation of Disclosure Authority Letter itself. Nothing is
    released to partners, and no RFA is submitted, before it is approved."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="ddl")
    status = models.CharField(max_length=20, choices=DdlStatus.choices, default=DdlStatus.NOT_STARTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    deciding_office = models.ForeignKey(
        "partners.CoordinatingOffice", null=True, blank=True, on_delete=models.PROTECT, related_name="ddl_decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ddl_decisions"
    )
    decision_date = models.DateField(null=True, blank=True)
    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The Delegation of Disclosure Authority Letter.",
    )
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "DDL / TS&FD decision"
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[DdlStatus.APPROVED, DdlStatus.DENIED])
                | (Q(deciding_office__isnull=False) & Q(decision_date__isnull=False)),
                name="ddl_decision_has_office_and_date",
                violation_error_message="A DDL decision names the deciding disclosure office and its date.",
            ),
            models.CheckConstraint(
                condition=~Q(status=DdlStatus.APPROVED) | Q(document__isnull=False),
                name="ddl_approval_has_letter",
                violation_error_message="An approved DDL needs the letter itself attached.",
            ),
        ]

    def __str__(self) -> str:
        return f"DDL of {self.agreement.reference}: {self.get_status_display()}"

    def clean(self) -> None:
        if self.document_id is not None:
            if self.document.agreement_id != self.agreement_id or self.document.kind != DocumentKind.DDL:
                raise ValidationError({"document": "Attach a DDL document of this agreement."})
