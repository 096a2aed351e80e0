"""Laying a PDF out: WeasyPrint with a URL fetcher that serves only the portal's own static
files, and the compact register written straight to PDF with no layout engine."""

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
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; keep its warnings (refused URLs, bad CSS) only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# A base URL that can never resolve (.invalid is reserved): relative URLs in the PDF templates
# join onto it, and the fetcher maps ``<base>static/...`` to the project's static files.
PDF_BASE_URL = "https://pdf.icp-portal.invalid/"
STATIC_PREFIX = f"{PDF_BASE_URL}static/"


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

    def fetch(self, url, headers=None):
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
