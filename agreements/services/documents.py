"""Attaching, changing and withdrawing an agreement's documents."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from icp_portal.model_update import fields_allowed_check, model_update
from icp_portal.security.uploads import upload_check
from partners.models import User

from ..choices import DocumentKind, State
from ..models import Agreement, Document, document_release_denial
from ..text_extraction import extract_text
from .access import _save, agreement_edit_denial

logger = logging.getLogger(__name__)


def document_edit_denial(agreement: Agreement, user: User, kind: str) -> str | None:
    """Texts and notices can be attached by the lead program office in any open state; a reviewer
    attaches termination notices."""
    if kind == DocumentKind.NOTICE and user.is_reviewer:
        return None
    denial = agreement_edit_denial(agreement, user, substance=False)
    if denial:
        return denial
    if (
        agreement.state in (State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.DISAPPROVED)
        and kind != DocumentKind.OTHER
    ):
        return f"The agreement is {State(agreement.state).label}: only other documents may still be attached."
    return None


@dataclass(frozen=True)
class StoredDocumentFile:
    """A document's file already written to storage, with what its content says, waiting for its
    row. Written before the agreement row is locked, so the slow part of an upload (an S3 PUT of up
    to MAX_UPLOAD_MB in production, reading the words of a PDF) never holds the lock; ``discard``
    deletes the file when its row is then refused or rolled back, so no orphan is left."""

    name: str
    original_name: str
    content_type: str
    sha256: str
    size: int
    text: str

    def discard(self) -> None:
        """Delete the stored file (its row was never saved). Called while another error or
        refusal is on its way to the user: a storage failure here is logged, never raised over it."""
        try:
            Document._meta.get_field("file").storage.delete(self.name)
        except Exception:  # any storage backend's error: the refusal matters more than the orphan
            logger.exception("Could not delete the unused document file %s; delete it by hand.", self.name)


def _next_version(agreement: Agreement, kind: str) -> int:
    return (Document.objects.filter(agreement=agreement, kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1


def document_file_store(
    *,
    agreement: Agreement,
    kind: str,
    content: bytes,
    filename: str,
    content_type: str = "",
    version: int | None = None,
) -> StoredDocumentFile:
    """Check a document's file, read its words and write it to storage, locking nothing. The file
    must be one of the accepted types by its content (``icp_portal.security.uploads.upload_check``);
    the stored content type is the detected one, and the client's ``content_type`` only helps the
    text extraction. ``version`` is the one the file is expected to become (by default the next
    one now), which its storage name carries; the row's version is taken under the lock
    (``document_create``), so a concurrent upload of the same kind can leave the name one behind."""
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    if len(content) > max_bytes:
        raise ValidationError({"file": f"The file is larger than {settings.MAX_UPLOAD_MB} MB."})
    if not content:
        raise ValidationError({"file": "The file is empty."})
    safe_name = os.path.basename((filename or "document").replace("\\", "/")).replace("\x00", "")[:150] or "document"
    # What the file is comes from its content, never from the client's name or content type.
    file_type = upload_check(content=content, filename=safe_name)
    text = extract_text(content, filename or "", content_type or "")  # the words, for search and comparison
    holder = Document(agreement=agreement, kind=kind, version=version or _next_version(agreement, kind))
    holder.file.save(safe_name, ContentFile(content), save=False)
    return StoredDocumentFile(
        name=holder.file.name,
        original_name=safe_name,
        content_type=file_type.content_type,
        sha256=Document.digest(content),
        size=len(content),
        text=text,
    )


@transaction.atomic
def document_create(
    *,
    agreement: Agreement,
    user: User | None,
    kind: str,
    stored: StoredDocumentFile,
    title: str = "",
    marking: str | None = None,
    releasable_to_partners: bool = False,
    check_permission: bool = True,
) -> Document:
    """The row of a document whose file is already stored (``document_file_store``): the agreement
    row locked (it serializes version numbers), the permission and the release rule decided on the
    locked row, the next version taken. Nothing slow runs here. The caller discards ``stored`` when
    this raises."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if check_permission:
        denial = document_edit_denial(agreement, user, kind)
        if denial:
            raise PermissionDenied(denial)
    document = Document(
        agreement=agreement,
        kind=kind,
        title=title.strip() or stored.original_name,
        version=_next_version(agreement, kind),
        original_name=stored.original_name,
        content_type=stored.content_type,
        sha256=stored.sha256,
        size=stored.size,
        marking=marking or agreement.marking,
        releasable_to_partners=releasable_to_partners,
        uploaded_by=user,
        text=stored.text,
    )
    document.file.name = stored.name
    document.clean()  # the release rule (DDL approved, never an internal PDF)
    document._history_user = user
    document.save()
    return document


def document_upload(
    *,
    agreement: Agreement,
    user: User | None,
    kind: str,
    content: bytes,
    filename: str,
    title: str = "",
    content_type: str = "",
    marking: str | None = None,
    releasable_to_partners: bool = False,
    check_permission: bool = True,
) -> Document:
    """Attach a new version of a document. ``user`` None (with check_permission False) is a
    background job storing a file it generated on a user's behalf. The permission and the release
    rule are checked first (nothing is stored for a refused upload); the file is then checked,
    read and stored with no row locked (``document_file_store``), and only the row is written
    under the agreement's lock (``document_create``), which decides both again. A refusal or
    failure there deletes the stored file."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose a document kind."})
    current = Agreement.objects.get(pk=agreement.pk)
    if check_permission:
        denial = document_edit_denial(current, user, kind)
        if denial:
            raise PermissionDenied(denial)
    if releasable_to_partners:
        denial = document_release_denial(current, kind)
        if denial:
            raise ValidationError({"releasable_to_partners": denial})
    stored = document_file_store(
        agreement=current, kind=kind, content=content, filename=filename, content_type=content_type
    )
    try:
        return document_create(
            agreement=current,
            user=user,
            kind=kind,
            stored=stored,
            title=title,
            marking=marking,
            releasable_to_partners=releasable_to_partners,
            check_permission=check_permission,
        )
    except BaseException:
        stored.discard()
        raise


@transaction.atomic
def document_withdraw(*, document: Document, user: User, reason: str) -> Document:
    """Withdraw a wrong or superseded version: it stays in the history (and downloadable for DoD
    users) but no longer counts as attached, and partners no longer see it."""
    denial = document_edit_denial(document.agreement, user, document.kind)
    if denial:
        raise PermissionDenied(denial)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the document is withdrawn."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise ValidationError(f"{document} was withdrawn on {document.withdrawn_at:%Y-%m-%d} already.")
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = user
    document.withdrawal_reason = reason
    document.releasable_to_partners = False
    _save(document, user)
    return document


@transaction.atomic
def document_update(*, document: Document, user: User, **fields: Any) -> Document:
    """Change a document's marking, title or releasability (the file itself is immutable)."""
    allowed = {"title", "marking", "releasable_to_partners"}
    refusal = "Only {allowed} can be changed; upload a new version instead."
    fields_allowed_check(fields, allowed, refusal)
    agreement = Agreement.objects.select_for_update().get(pk=document.agreement_id)
    denial = document_edit_denial(agreement, user, document.kind)
    if denial:
        raise PermissionDenied(denial)
    if document.withdrawn_at is not None and fields.get("releasable_to_partners"):
        raise ValidationError({"releasable_to_partners": f"{document} is withdrawn: it cannot be released."})
    return model_update(document, user=user, fields=fields, allowed=allowed, refusal=refusal)
