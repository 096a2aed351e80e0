"""Running a render job in the worker: the PDF is laid out with no transaction open, then the
document and the job's "ready" state commit together (see ``workflow.pdf`` on idempotence)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from agreements.choices import DocumentKind
from agreements.models import Agreement, Document
from agreements.selectors import agreements_visible_to
from agreements.services import StoredDocumentFile, document_create, document_file_store
from partners.models import Partner

from ..models import RenderJob, RenderKind, RenderStatus
from .contexts import TEMPLATE, partner_summary_context, register_context, ssoi_context, summary_context
from .rendering import RenderedPdf, RenderFailed, Stamp, register_compact_pdf, render_pdf

logger = logging.getLogger(__name__)

# How many times a job may start before it is declared failed (a render that kills its worker
# would otherwise be redelivered forever).
MAX_RENDER_ATTEMPTS = 5
DOCUMENT_KIND = {RenderKind.SSOI: DocumentKind.SSOI_PDF, RenderKind.SUMMARY: DocumentKind.SUMMARY_PDF}


# --- the job -------------------------------------------------------------------------------------
def _job_start(job_id: int) -> RenderJob | None:
    """Mark the job rendering (visible to the polling page at once). None when there is nothing
    to do: the job is gone or already ready."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == RenderStatus.READY:
            return None
        if job.attempts >= MAX_RENDER_ATTEMPTS:
            job.status = RenderStatus.FAILED
            job.error = job.error or f"Rendering was attempted {job.attempts} times without finishing."
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            return None
        job.status = RenderStatus.RENDERING
        job.started_at = timezone.now()
        job.attempts += 1
        job.error = ""
        job.save(update_fields=["status", "started_at", "attempts", "error"])
        return job


def _latest_document(agreement: Agreement, kind: str) -> Document | None:
    return Document.objects.filter(agreement=agreement, kind=kind).order_by("-version").first()


@dataclass
class PreparedDocument:
    """An agreement PDF rendered and written to storage outside any transaction, waiting for its
    row: the version it was stamped with, the digest of its content, the PDF and its stored file
    (both None when the latest document already has this content and is reused)."""

    version: int
    content_digest: str
    rendered: RenderedPdf | None
    stored: StoredDocumentFile | None = None

    def discard_unless_kept(self, job: RenderJob | None) -> None:
        """Delete the stored file unless ``job`` ended with the document made from it."""
        if self.stored is None:
            return
        if job is not None and Document.objects.filter(pk=job.document_id, file=self.stored.name).exists():
            return
        self.stored.discard()


def _prepare_agreement_document(job: RenderJob) -> PreparedDocument:
    """Read the agreement and render its PDF with no transaction open and no row locked, so a
    reviewer's transition never waits for WeasyPrint."""
    agreement = Agreement.objects.filter(pk=job.agreement_id).first()
    if agreement is None:
        raise RenderFailed("The agreement no longer exists.")
    context = ssoi_context(agreement) if job.kind == RenderKind.SSOI else summary_context(agreement)
    content_html = render_to_string(TEMPLATE[job.kind], {**context, "stamp": None})
    digest = hashlib.sha256(content_html.encode()).hexdigest()
    latest = _latest_document(agreement, DOCUMENT_KIND[job.kind])
    if latest is not None and _reusable(job, latest, digest):
        return PreparedDocument(version=latest.version, content_digest=digest, rendered=None)
    version = (latest.version if latest else 0) + 1
    rendered = render_pdf(TEMPLATE[job.kind], context, Stamp(version=version, generated_at=timezone.now()))
    # Stored (and its words read) here too, not under the lock: an S3 PUT and pypdf take time.
    stored = document_file_store(
        agreement=agreement,
        kind=DOCUMENT_KIND[job.kind],
        version=version,
        content=rendered.content,
        filename=f"{agreement.reference}-{job.kind}-v{version}.pdf",
        content_type="application/pdf",
    )
    return PreparedDocument(version=version, content_digest=digest, rendered=rendered, stored=stored)


def _reusable(job: RenderJob, latest: Document, digest: str) -> bool:
    """Whether ``latest`` was made from exactly this content by an earlier job."""
    return RenderJob.objects.filter(
        agreement_id=job.agreement_id,
        kind=job.kind,
        status=RenderStatus.READY,
        document=latest,
        params__content_digest=digest,
    ).exists()


def _store_agreement_document(job: RenderJob, prepared: PreparedDocument) -> bool:
    """Save the row of a prepared render (its file is stored already), inside the short
    transaction that marks the job ready, with the agreement row locked only for these few writes
    (version numbers and reuse never race). False when the document changed meanwhile and the PDF
    must be rendered again."""
    agreement = Agreement.objects.select_for_update().filter(pk=job.agreement_id).first()
    if agreement is None:
        raise RenderFailed("The agreement no longer exists.")
    document_kind = DOCUMENT_KIND[job.kind]
    latest = _latest_document(agreement, document_kind)
    if latest is not None and _reusable(job, latest, prepared.content_digest):
        job.document = latest
        job.sha256 = latest.sha256
        job.params = {**job.params, "content_digest": prepared.content_digest, "reused": True}
        return True
    if prepared.stored is None or prepared.version != (latest.version if latest else 0) + 1:
        return False  # another document arrived while this one rendered: its stamp would be wrong
    label = "SSOI" if job.kind == RenderKind.SSOI else "Agreement summary"
    document = document_create(
        agreement=agreement,
        user=job.requested_by,
        kind=document_kind,
        stored=prepared.stored,
        title=f"{label} — {agreement.reference}",
        marking=agreement.marking,
        releasable_to_partners=False,
        check_permission=False,
    )
    if document.version != prepared.version:  # cannot happen under the lock; never ship a wrong stamp
        raise RuntimeError(f"Expected version {prepared.version}, stored {document.version}.")
    job.document = document
    job.sha256 = document.sha256
    job.params = {**job.params, "content_digest": prepared.content_digest, "reused": False}
    return True


def _render_register(job: RenderJob) -> None:
    if job.requested_by is None:
        raise RenderFailed("The person who asked for this register no longer exists.")
    try:
        as_of = dt.date.fromisoformat(job.params.get("as_of", ""))
    except (TypeError, ValueError):
        raise RenderFailed("The register's date is not a valid date.") from None
    partner = Partner.objects.filter(pk=job.params.get("partner_id")).first() if job.params.get("partner_id") else None
    context = register_context(user=job.requested_by, as_of=as_of, partner=partner)
    stamp = Stamp(version=None, generated_at=timezone.now())
    if context["compact"]:
        rendered = register_compact_pdf(context, stamp)
    else:
        rendered = render_pdf(TEMPLATE[RenderKind.REGISTER], context, stamp)
    variant = "releasable" if context["releasable"] else "dod"
    job.file.save(f"register-{as_of:%Y%m%d}-{variant}-{job.pk}.pdf", ContentFile(rendered.content), save=False)
    job.sha256 = rendered.sha256
    job.params = {
        **job.params,
        "content_digest": rendered.content_digest,
        "variant": variant,
        "count": context["count"],
    }


def _render_partner_summary(job: RenderJob) -> None:
    """The partner-safe summary, stored on the job (not as an agreement document): only the
    person who asked for it downloads it."""
    if job.requested_by is None:
        raise RenderFailed("The person who asked for this summary no longer exists.")
    agreement = agreements_visible_to(job.requested_by).filter(pk=job.agreement_id).first()
    if agreement is None:
        raise RenderFailed("The agreement is no longer visible to the person who asked for it.")
    context = partner_summary_context(agreement, user=job.requested_by)
    rendered = render_pdf(
        TEMPLATE[RenderKind.PARTNER_SUMMARY], context, Stamp(version=None, generated_at=timezone.now())
    )
    job.file.save(f"{agreement.reference}-partner-summary-{job.pk}.pdf", ContentFile(rendered.content), save=False)
    job.sha256 = rendered.sha256
    job.params = {**job.params, "content_digest": rendered.content_digest}


def _render_export(job: RenderJob) -> None:
    """A large CSV or XLSX export of the list its requester asked for (visibility, scope and
    filters applied again now, for that person), written to a temporary file, then stored."""
    import tempfile

    from django.core.files import File
    from django.http import QueryDict

    from agreements import exports
    from agreements.selectors import agreements_listed

    user = job.requested_by
    if user is None or not user.is_active:
        raise RenderFailed("The person who asked for this export can no longer sign in.")
    fmt = job.params.get("format")
    if fmt not in ("csv", "xlsx"):
        raise RenderFailed("Unknown export format.")
    _filterset, queryset, _scope = agreements_listed(user, QueryDict(job.params.get("query", "")))
    with tempfile.TemporaryFile() as handle:
        if fmt == "csv":
            headers, rows = exports.export_rows(queryset, user)
            count = -1
            for count, line in enumerate(exports.csv_lines(headers, rows)):  # noqa: B007
                handle.write(line.encode())
        else:
            count = exports.xlsx_write(queryset, user, settings.PORTAL_MARKING, handle)
        handle.seek(0)
        filename = exports.export_filename(fmt)
        job.file.save(f"export-{job.pk}-{filename}", File(handle), save=False)
    job.params = {**job.params, "filename": filename, "count": count}


def _render_job_finish(job_id: int, store) -> RenderJob | None:
    """Mark the job ready in one short transaction, with ``store(job)`` writing its result.
    None when ``store`` says the render must be done again."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=job_id)
        if job.status == RenderStatus.READY:  # another worker finished it meanwhile
            return job
        if store(job) is False:
            return None
        job.status = RenderStatus.READY
        job.error = ""
        job.finished_at = timezone.now()
        job.save()
        return job


def render_job_run(*, job_id: int) -> RenderJob | None:
    """Render one job to completion. The PDF is laid out with no transaction open and no row
    locked; the document and the job's "ready" state then commit together in one short
    transaction. Idempotent: a job already ready is left alone. Raises RenderFailed for a job that
    can never succeed (the task marks it failed) and lets transient errors propagate (the task
    retries them)."""
    started = _job_start(job_id)
    if started is None:
        return None
    job = RenderJob.objects.select_related("requested_by").get(pk=job_id)
    if job.kind in DOCUMENT_KIND:
        if job.agreement_id is None:
            raise RenderFailed("This document needs an agreement.")
        for _ in range(3):  # a new version stored meanwhile means a new stamp: render again
            prepared = _prepare_agreement_document(job)
            try:
                finished = _render_job_finish(job_id, lambda fresh, p=prepared: _store_agreement_document(fresh, p))
            except BaseException:
                prepared.discard_unless_kept(None)
                raise
            prepared.discard_unless_kept(finished)  # reused, re-rendered, or finished by another worker
            if finished is not None:
                break
        else:
            raise RenderFailed("The document kept changing while it was rendered. Try again.")
    elif job.kind in (RenderKind.REGISTER, RenderKind.PARTNER_SUMMARY, RenderKind.EXPORT):
        if job.kind == RenderKind.REGISTER:
            _render_register(job)
        elif job.kind == RenderKind.EXPORT:
            _render_export(job)
        else:
            _render_partner_summary(job)
        result = {"file": job.file.name, "sha256": job.sha256, "params": job.params}

        def store(fresh: RenderJob) -> bool:
            fresh.file.name = result["file"]
            fresh.sha256 = result["sha256"]
            fresh.params = result["params"]
            return True

        finished = _render_job_finish(job_id, store)
    else:
        raise RenderFailed(f"Unknown document kind {job.kind!r}.")
    logger.info("render job %s ready (%s)", job_id, job.kind)
    return finished


def render_job_fail(*, job_id: int, error: str) -> None:
    """Record that a job failed, with a message the person who asked for it can act on."""
    RenderJob.objects.filter(pk=job_id).exclude(status=RenderStatus.READY).update(
        status=RenderStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )
