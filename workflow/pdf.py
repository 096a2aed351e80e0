"""PDF documents rendered with WeasyPrint: the SSOI, the agreement summary and the register of
agreements in force. Rendering is a background job (``workflow.tasks.render_job_run``) that calls
``render_job_run`` here; the browser only queues a ``RenderJob`` and polls it.

Safety: every template escapes user text (Django autoescaping), and WeasyPrint gets a URL fetcher
that serves only the portal's own static files, so a title holding ``<img src="file:///etc/passwd">``
is printed as text and a stray URL to ``http://127.0.0.1:6379/`` is refused, never fetched.

Idempotence: the content is hashed before it is stamped with its version and generation time. A
job whose content matches the latest generated document of that kind reuses it (no new version),
and the document and the job's "ready" state commit together, so a job that runs twice (a worker
killed mid-render, a redelivered message) still leaves exactly one document."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import mimetypes
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Agreement, Document
from agreements.partner_status import partner_status_label
from agreements.selectors import agreements_visible_to, equitability_table, liaison_agreement_facts
from agreements.services import ddl_for, document_upload
from partners.models import Partner, User

from .models import RenderJob, RenderKind, RenderStatus, ReportingObligation, TransitionLog
from .outbox import outbox_enqueue
from .services import RENDER_TASK, render_job_request
from .transitions import event_label

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; keep its warnings (refused URLs, bad CSS) only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# A base URL that can never resolve (.invalid is reserved): relative URLs in the PDF templates
# join onto it, and the fetcher maps ``<base>static/...`` to the project's static files.
PDF_BASE_URL = "https://pdf.icp-portal.invalid/"
STATIC_PREFIX = f"{PDF_BASE_URL}static/"
# States in which the agreement is signed: no DRAFT watermark.
SIGNED_STATES = (State.SIGNED, State.IN_FORCE, State.EXPIRED, State.TERMINATED)
# A summary's timeline up to this many events is printed whole; a longer one is summarised.
SUMMARY_TIMELINE_ROWS = 40
# A register of more agreements than this uses the compact layout (one line per agreement).
REGISTER_COMPACT_OVER = 1500
# How many times a job may start before it is declared failed (a render that kills its worker
# would otherwise be redelivered forever).
MAX_RENDER_ATTEMPTS = 5
DOCUMENT_KIND = {RenderKind.SSOI: DocumentKind.SSOI_PDF, RenderKind.SUMMARY: DocumentKind.SUMMARY_PDF}
TEMPLATE = {
    RenderKind.SSOI: "pdf/ssoi.html",
    RenderKind.SUMMARY: "pdf/summary.html",
    RenderKind.REGISTER: "pdf/register.html",
    RenderKind.PARTNER_SUMMARY: "pdf/partner_summary.html",
}


class RenderFailed(Exception):
    """A render that cannot succeed however often it is retried (its message is shown to the user)."""


# --- the URL fetcher ---------------------------------------------------------------------------
class StaticOnlyURLFetcher(URLFetcher):
    """Serves ``STATIC_PREFIX`` URLs from the project's static files and refuses every other URL
    (file://, http://127.0.0.1:6379/, data:, …) without opening it. Keeps what it served and
    refused, for the log and for tests."""

    def __init__(self) -> None:
        super().__init__(timeout=5, allowed_protocols=("https",), allow_redirects=False)
        self.served: list[str] = []
        self.refused: list[str] = []

    @staticmethod
    def static_path(url: str) -> Path | None:
        """The static file ``url`` names, or None when it names anything else."""
        if not url.startswith(STATIC_PREFIX):
            return None
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            return None
        relative = unquote(url[len(STATIC_PREFIX) :])
        segments = relative.replace("\\", "/").split("/")
        if not relative or relative.startswith("/") or any(s in ("", ".", "..") for s in segments):
            return None
        found = finders.find(relative)
        if not found:
            return None
        path = Path(found).resolve()
        return path if path.is_file() else None

    def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint's interface
        path = self.static_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("PDF render refused to fetch %r: only the portal's static files are served", url)
            raise URLFetchingError(f"Refused {url!r}: PDFs load only the portal's own static files.")
        self.served.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def html_to_pdf(html: str, *, fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """Lay out ``html`` as a PDF with the static-only fetcher (never WeasyPrint's default one)."""
    fetcher = fetcher or StaticOnlyURLFetcher()
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf()


# --- what each document shows -------------------------------------------------------------------
@dataclass
class Stamp:
    """What makes two renders of the same content differ: version and generation time."""

    version: int | None
    generated_at: dt.datetime


@dataclass
class RenderedPdf:
    """A finished render: the PDF, the digest of its content before stamping, and the fetcher."""

    content: bytes
    content_digest: str
    fetcher: StaticOnlyURLFetcher = field(default_factory=StaticOnlyURLFetcher)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _base_context(title: str, reference: str, draft: bool) -> dict:
    return {
        "doc_title": title,
        "reference": reference,
        "banner_marking": settings.PORTAL_MARKING,
        "draft": draft,
    }


def _ddl_sentence(ddl) -> str:
    if ddl.decision_date and ddl.deciding_office_id:
        return f"{ddl.get_status_display()} by {ddl.deciding_office.name} on {ddl.decision_date:%Y-%m-%d}"
    return ddl.get_status_display()


def ssoi_context(agreement: Agreement) -> dict:
    """The SSOI, section by section in template order, with the contributions table (each
    participant's share) or, for a Section 65 loan, the loan list."""
    agreement = (
        Agreement.objects.select_related("lead_organization", "parent", "action_officer", "ssoi")
        .prefetch_related("participants__partner", "loan_items")
        .get(pk=agreement.pk)
    )
    ssoi = agreement.ssoi
    ddl = ddl_for(agreement)
    sections = []
    for number, section in enumerate(ssoi.sections(), start=1):
        entry = {"number": number, "key": section.key, "label": section.label, "complete": section.is_complete(ssoi)}
        if section.key == "ddl_status":
            entry["paragraphs"] = [("Status", _ddl_sentence(ddl))]
            if ssoi.ddl_notes:
                entry["paragraphs"].append(("Notes", ssoi.ddl_notes))
        elif section.fields:
            entry["paragraphs"] = [
                (
                    ssoi._meta.get_field(name).verbose_name.capitalize() if len(section.fields) > 1 else "",
                    getattr(ssoi, name),
                )
                for name in section.fields
            ]
        sections.append(entry)
    rows = equitability_table(agreement)
    loan_items = list(agreement.loan_items.all())
    complete, total = ssoi.completeness()
    return {
        **_base_context(
            f"Summary Statement of Intent — {agreement.reference}",
            agreement.reference,
            agreement.state not in SIGNED_STATES,
        ),
        "agreement": agreement,
        "participants": list(agreement.participants.all()),
        "sections": sections,
        "contributions": rows,
        "contributions_total": sum((r["total"] for r in rows), 0),
        "loan_items": loan_items,
        "loan_total": sum((i.total_value_usd for i in loan_items), 0),
        "completeness": (complete, total),
        "ddl_status": _ddl_sentence(ddl),
    }


def summary_context(agreement: Agreement) -> dict:
    """Key facts, participants and signatures, the lifecycle timeline from the audit trail and
    the reporting obligations."""
    agreement = (
        Agreement.objects.select_related("lead_organization", "parent", "action_officer")
        .prefetch_related("participants__partner")
        .get(pk=agreement.pk)
    )
    timeline = [
        {
            "when": log.timestamp,
            "event": event_label(log.transition),
            "source": log.get_source_display(),
            "target": log.get_target_display(),
            "state_change": log.source != log.target,
            "actor": log.actor,
            "comment": log.comment,
        }
        for log in TransitionLog.objects.filter(agreement=agreement).select_related("user").order_by("timestamp", "pk")
    ]
    timeline_total = len(timeline)
    timeline = summarise_timeline(timeline)
    obligations = list(ReportingObligation.objects.filter(agreement=agreement).order_by("due_date"))
    today = timezone.localdate()
    return {
        **_base_context(
            f"Agreement summary — {agreement.reference}", agreement.reference, agreement.state not in SIGNED_STATES
        ),
        "agreement": agreement,
        "participants": list(agreement.participants.all()),
        "timeline": timeline,
        "timeline_total": timeline_total,
        "timeline_summarised": len(timeline) < timeline_total,
        "obligations": [{"obligation": o, "overdue": o.is_overdue(today)} for o in obligations],
        "amendments": list(agreement.children.filter(kind=AgreementKind.AMENDMENT).order_by("created_at")),
        "project_arrangements": list(
            agreement.children.filter(kind=AgreementKind.PROJECT_ARRANGEMENT).order_by("reference")
        ),
    }


def summarise_timeline(timeline: list[dict]) -> list[dict]:
    """A long history, readable on a few pages: every state change on its own line, the other
    events (positions, notices, amendments applied…) grouped by kind and year with their count and
    dates. A history of up to SUMMARY_TIMELINE_ROWS events is shown whole."""
    if len(timeline) <= SUMMARY_TIMELINE_ROWS:
        return timeline
    rows: list[dict] = []
    groups: dict[tuple[str, int], dict] = {}
    for entry in timeline:
        if entry["state_change"]:
            rows.append(entry)
            continue
        key = (entry["event"], entry["when"].year)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**entry, "count": 0, "until": entry["when"], "actor": "", "comment": ""}
            rows.append(group)
        group["count"] += 1
        group["until"] = entry["when"]
    for group in groups.values():
        if group["count"] > 1:
            group["event"] = f"{group['event']} ×{group['count']}"
    return rows


def partner_summary_context(agreement: Agreement, *, user: User | None) -> dict:
    """The partner-safe summary: key facts with the partner-facing status, the participants and
    signatures and, for a liaison, its own nation's contributions. Nothing internal: no notes,
    comments, coordination positions, stage names, internal dates or durations."""
    agreement = (
        Agreement.objects.select_related("lead_organization")
        .prefetch_related("participants__partner")
        .get(pk=agreement.pk)
    )
    viewer = user if user is not None and user.is_liaison else None
    facts = liaison_agreement_facts(agreement, viewer) if viewer is not None else {}
    signatures = facts.get("signatures") or liaison_agreement_facts(agreement, _NoPartner())["signatures"]
    return {
        **_base_context(
            f"Agreement summary for partners — {agreement.reference}",
            agreement.reference,
            agreement.state not in SIGNED_STATES,
        ),
        "agreement": agreement,
        "status_label": partner_status_label(agreement.state),
        "participants": list(agreement.participants.all()),
        "signatures": signatures,
        "own_partner": viewer.partner if viewer is not None else None,
        "own_contributions": facts.get("own_contributions", []),
        "own_total": facts.get("own_total", 0),
    }


class _NoPartner:
    """A viewer bound to no partner (a DoD user previewing what partners receive)."""

    partner_id = None


def agreements_in_force_on(queryset, as_of: dt.date):
    """The agreements of ``queryset`` that were in force on ``as_of``: entered into force by
    then, not yet expired, and not terminated before it."""
    terminated_by = TransitionLog.objects.filter(transition="terminate", timestamp__date__lte=as_of).values(
        "agreement_id"
    )
    return (
        queryset.filter(state__in=SIGNED_STATES, entry_into_force_date__lte=as_of)
        .filter(Q(expiration_date__isnull=True) | Q(expiration_date__gt=as_of))
        .exclude(pk__in=terminated_by)
        .exclude(kind=AgreementKind.AMENDMENT)
    )


def register_context(*, user: User, as_of: dt.date, partner: Partner | None = None) -> dict:
    """Agreements in force on ``as_of``, grouped by partner like a "treaties in force" listing.
    Built from ``agreements_visible_to(user)``: a liaison's variant holds only its own nation's
    releasable agreements; ``partner`` narrows a DoD user's register to one partner."""
    releasable = user.is_liaison
    if releasable:
        partner = user.partner
    agreements = list(
        agreements_in_force_on(agreements_visible_to(user), as_of)
        .select_related("lead_organization", "parent")
        .prefetch_related("participants__partner")
        .order_by("entry_into_force_date", "reference")
    )
    by_partner: dict[int, dict] = {}
    multilateral = []
    for agreement in agreements:
        participants = list(agreement.participants.all())
        if partner is not None and not any(p.partner_id == partner.pk for p in participants):
            continue
        if len(participants) > 1 and partner is None:
            multilateral.append(agreement)
            continue
        for participant in participants:
            if partner is not None and participant.partner_id != partner.pk:
                continue
            group = by_partner.setdefault(participant.partner_id, {"partner": participant.partner, "agreements": []})
            group["agreements"].append(agreement)
    groups = sorted(by_partner.values(), key=lambda g: g["partner"].name)
    count = len({a.pk for g in groups for a in g["agreements"]} | {a.pk for a in multilateral})
    scope = f" — {partner.name}" if partner is not None else ""
    return {
        **_base_context(f"Agreements in force on {as_of:%d %B %Y}{scope}", f"Register {as_of:%Y-%m-%d}", False),
        "as_of": as_of,
        "groups": groups,
        "multilateral": multilateral,
        "releasable": releasable,
        "partner": partner,
        "count": count,
        "compact": count > REGISTER_COMPACT_OVER,
    }


def _pdf_text(text: str) -> bytes:
    """Text for a standard PDF font (WinAnsi): characters it lacks become '?'."""
    return str(text).encode("cp1252", errors="replace")


def register_compact_pdf(context: dict, stamp: Stamp) -> RenderedPdf:
    """The register as plain text lines in a standard font, written straight to PDF (no layout
    engine): tens of thousands of agreements in seconds, where a laid-out table would take many
    minutes. Every page carries the marking at its top and bottom and its page number."""
    import pydyf

    width, height, margin, leading, size = 612, 792, 40, 8.6, 7
    per_page = int((height - 2 * margin - 24) // leading)
    lines: list[tuple[str, bool]] = [
        (str(context["doc_title"]), True),
        (
            f"{context['count']} agreements in force on {context['as_of']:%d %B %Y}, one line each: "
            "reference, title, kind, entry into force, expiry. For DoD use.",
            False,
        ),
        ("", False),
    ]

    def agreement_line(agreement, participants: bool) -> str:
        parts = [agreement.reference, agreement.title[:95]]
        if participants:
            parts.append(", ".join(p.partner.code for p in agreement.participants.all()))
        parts += [agreement.get_kind_display(), f"in force {agreement.entry_into_force_date:%Y-%m-%d}"]
        if agreement.expiration_date:
            parts.append(f"expires {agreement.expiration_date:%Y-%m-%d}")
        return " · ".join(parts)

    for group in context["groups"]:
        lines.append((f"{group['partner'].name} ({group['partner'].code})", True))
        lines += [(agreement_line(a, False), False) for a in group["agreements"]]
    if context["multilateral"]:
        lines.append(("Multilateral agreements", True))
        lines += [(agreement_line(a, True), False) for a in context["multilateral"]]
    document = pydyf.PDF()
    regular = pydyf.Dictionary(
        {"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica", "Encoding": "/WinAnsiEncoding"}
    )
    bold = pydyf.Dictionary(
        {"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica-Bold", "Encoding": "/WinAnsiEncoding"}
    )
    document.add_object(regular)
    document.add_object(bold)
    marking = context["banner_marking"]
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    generated = f"Generated {timezone.localtime(stamp.generated_at):%Y-%m-%d %H:%M %Z}"
    for number, page_lines in enumerate(pages, start=1):
        stream = pydyf.Stream(compress=True)
        stream.begin_text()
        stream.set_font_size("B", 9)
        for y in (height - 22, 14):  # the marking, top and bottom
            stream.set_text_matrix(1, 0, 0, 1, width / 2 - 3 * len(marking), y)
            stream.show_text_string(_pdf_text(marking))
        stream.set_font_size("F", 6)
        stream.set_text_matrix(1, 0, 0, 1, margin, 14)
        stream.show_text_string(_pdf_text(f"{context['reference']} · {generated}"))
        stream.set_text_matrix(1, 0, 0, 1, width - margin - 60, 14)
        stream.show_text_string(_pdf_text(f"Page {number} of {len(pages)}"))
        y = height - margin - 12
        for text, heading in page_lines:
            stream.set_font_size("B" if heading else "F", size + 1 if heading else size)
            stream.set_text_matrix(1, 0, 0, 1, margin, y)
            stream.show_text_string(_pdf_text(text[:170]))
            y -= leading
        stream.end_text()
        document.add_object(stream)
        page = pydyf.Dictionary(
            {
                "Type": "/Page",
                "Parent": document.pages.reference,
                "MediaBox": pydyf.Array([0, 0, width, height]),
                "Contents": stream.reference,
                "Resources": pydyf.Dictionary(
                    {"Font": pydyf.Dictionary({"F": regular.reference, "B": bold.reference})}
                ),
            }
        )
        document.add_page(page)
    document.info["Title"] = pydyf.String(_pdf_text(context["doc_title"]))
    output = io.BytesIO()
    document.write(output, compress=True)
    digest = hashlib.sha256("\n".join(text for text, _ in lines).encode()).hexdigest()
    return RenderedPdf(content=output.getvalue(), content_digest=digest)


def render_pdf(template: str, context: dict, stamp: Stamp) -> RenderedPdf:
    """Render ``template`` to a PDF. The content digest covers everything but the stamp, so the
    same content rendered twice has the same digest whatever the time."""
    content_html = render_to_string(template, {**context, "stamp": None})
    digest = hashlib.sha256(content_html.encode()).hexdigest()
    html = render_to_string(template, {**context, "stamp": stamp})
    delay = getattr(settings, "RENDER_TEST_DELAY_SECONDS", 0)
    if delay:
        logger.warning("RENDER_TEST_DELAY_SECONDS=%s: sleeping mid-render (tests only)", delay)
        time.sleep(delay)
    fetcher = StaticOnlyURLFetcher()
    return RenderedPdf(content=html_to_pdf(html, fetcher=fetcher), content_digest=digest, fetcher=fetcher)


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
    """An agreement PDF rendered outside any transaction, waiting to be stored: the version it was
    stamped with, the digest of its content, and the PDF (None when the latest document already
    has this content and is reused)."""

    version: int
    content_digest: str
    rendered: RenderedPdf | None


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
    return PreparedDocument(version=version, content_digest=digest, rendered=rendered)


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
    """Store a prepared render, inside the short transaction that marks the job ready, with the
    agreement row locked only for these few writes (version numbers and reuse never race).
    False when the document changed meanwhile and the PDF must be rendered again."""
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
    if prepared.rendered is None or prepared.version != (latest.version if latest else 0) + 1:
        return False  # another document arrived while this one rendered: its stamp would be wrong
    label = "SSOI" if job.kind == RenderKind.SSOI else "Agreement summary"
    document = document_upload(
        agreement=agreement,
        user=job.requested_by,
        kind=document_kind,
        content=prepared.rendered.content,
        filename=f"{agreement.reference}-{job.kind}-v{prepared.version}.pdf",
        title=f"{label} — {agreement.reference}",
        content_type="application/pdf",
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


def export_request(*, user: User, fmt: str, query: str) -> RenderJob:
    """Queue a large export of the list ``query`` describes; the worker writes it."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to export agreements.")
    if fmt not in ("csv", "xlsx"):
        raise ValidationError({"format": "Export as csv or xlsx."})
    return render_job_request(kind=RenderKind.EXPORT, user=user, params={"format": fmt, "query": query[:4000]})


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
            finished = _render_job_finish(job_id, lambda fresh, p=prepared: _store_agreement_document(fresh, p))
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


# --- requests from people ---------------------------------------------------------------------------
def render_permission_denial(*, user: User, kind: str, agreement: Agreement | None = None) -> str | None:
    """Why ``user`` may not ask for this PDF (None when it may). Agreement PDFs are internal DoD
    documents; the register is for DoD users and, in its releasable variant, liaisons."""
    if user is None or not user.is_authenticated or not user.is_active:
        return "Sign in to ask for a PDF."
    if kind in (RenderKind.REGISTER, RenderKind.EXPORT):
        return None
    if kind == RenderKind.PARTNER_SUMMARY:
        if agreement is None or not agreements_visible_to(user).filter(pk=agreement.pk).exists():
            return "You cannot see this agreement."
        return None
    if kind not in DOCUMENT_KIND:
        return "Unknown kind of PDF."
    if user.is_liaison:
        return "SSOI and summary PDFs are internal DoD documents."
    if agreement is None or not agreements_visible_to(user).filter(pk=agreement.pk).exists():
        return "You cannot see this agreement."
    return None


def render_request(
    *,
    user: User,
    kind: str,
    agreement: Agreement | None = None,
    as_of: dt.date | None = None,
    partner: Partner | None = None,
) -> RenderJob:
    """A person asks for a PDF: the job and its outbox message commit together and the page
    returns at once; the worker renders it."""
    denial = render_permission_denial(user=user, kind=kind, agreement=agreement)
    if denial:
        raise PermissionDenied(denial)
    params: dict = {}
    if kind == RenderKind.REGISTER:
        as_of = as_of or timezone.localdate()
        if as_of > timezone.localdate():
            raise ValidationError({"as_of": "The register shows agreements in force up to today: choose a past date."})
        if as_of.year < 1950:
            raise ValidationError({"as_of": "Choose a date from 1950 on."})
        params = {"as_of": as_of.isoformat()}
        if partner is not None and not user.is_liaison:
            params["partner_id"] = partner.pk
        agreement = None
    return render_job_request(kind=kind, user=user, agreement=agreement, params=params)


def render_job_visible_to(user: User, job: RenderJob) -> bool:
    """Whether ``user`` may see a job's status (and retry it): its requester, or a DoD user who
    can see the job's agreement."""
    if user is None or not user.is_authenticated:
        return False
    if job.requested_by_id == user.pk:
        return True
    if user.is_liaison or job.agreement_id is None:
        return False
    return agreements_visible_to(user).filter(pk=job.agreement_id).exists()


def render_job_stuck(job: RenderJob, *, now: dt.datetime | None = None) -> bool:
    """Whether a job that is not finished can no longer be progressing (``RenderJob.stuck``)."""
    return job.stuck(now=now)


@transaction.atomic
def render_job_retry(*, job: RenderJob, user: User) -> RenderJob:
    """Queue a failed or stuck job again (a fresh outbox message; its attempt count starts over)."""
    job = RenderJob.objects.select_for_update().get(pk=job.pk)
    if not render_job_visible_to(user, job):
        raise PermissionDenied("You cannot retry this PDF.")
    if job.status != RenderStatus.FAILED and not render_job_stuck(job):
        raise ValidationError(
            f"Only a failed or stuck PDF can be retried; this one is {job.get_status_display().lower()}."
        )
    retries = int(job.params.get("retries", 0)) + 1
    job.status = RenderStatus.QUEUED
    job.attempts = 0
    job.error = ""
    job.started_at = None
    job.finished_at = None
    job.params = {**job.params, "retries": retries}
    job.save()
    outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=f"render:{job.pk}:retry:{retries}")
    return job


def render_jobs_requeue_stale(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue again every stuck job (``render_job_stuck``): a worker killed mid-render, or a
    broker that lost the message. Running a job twice is harmless: it is idempotent."""
    now = now or timezone.now()
    rendering_cutoff = now - dt.timedelta(seconds=settings.RENDER_STALE_SECONDS)
    queued_cutoff = now - dt.timedelta(seconds=settings.RENDER_QUEUED_STALE_SECONDS)
    candidates = RenderJob.objects.filter(
        Q(status=RenderStatus.QUEUED, created_at__lt=queued_cutoff)
        | Q(status=RenderStatus.RENDERING, started_at__lt=rendering_cutoff)
        | Q(status=RenderStatus.RENDERING, started_at__isnull=True)
    ).order_by("pk")[:limit]
    count = 0
    for job in candidates:
        if not render_job_stuck(job, now=now):
            continue
        with transaction.atomic():
            moved = RenderJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
                status=RenderStatus.QUEUED, started_at=None
            )
            if not moved:
                continue  # it moved on meanwhile
            key = f"render:{job.pk}:requeue:{now.timestamp():.0f}"
            outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=key)
        count += 1
        logger.warning("render job %s was stuck (%s); queued again", job.pk, job.status)
    return count
