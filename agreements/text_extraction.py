"""The words of an uploaded file, extracted once at upload for search and version comparison:
PDF (pypdf, falling back to poppler's pdftotext), DOCX (its document.xml), and plain text. A file
that cannot be read yields no text; the upload itself never fails because of it."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import zipfile
from xml.etree import ElementTree

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 200_000  # enough for any agreement text; keeps the search index bounded
DOCX_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_DOCX_XML_BYTES = 20 * 1024 * 1024


def _kind(content: bytes, filename: str, content_type: str) -> str:
    name = (filename or "").lower()
    if content[:5] == b"%PDF-" or name.endswith(".pdf"):
        return "pdf"
    if content[:2] == b"PK" and (name.endswith(".docx") or "wordprocessingml" in content_type):
        return "docx"
    if name.endswith((".txt", ".md", ".csv")) or content_type.startswith("text/"):
        return "text"
    return ""


def _pdf_text(content: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        parts = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                break
        text = "\n".join(parts)
        if text.strip():
            return text
    except Exception:  # pypdf raises many kinds of error on damaged files
        logger.info("pypdf could not read a PDF; trying pdftotext")
    binary = shutil.which("pdftotext")
    if not binary:
        return ""
    try:
        # A fixed binary, the file on stdin.
        done = subprocess.run([binary, "-q", "-", "-"], input=content, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", errors="replace")


def _docx_text(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                return ""
            xml = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError):
        return ""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # no entity expansion from a user's file
        return ""
    try:
        root = ElementTree.fromstring(xml)  # DTDs refused above  # nosec B314
    except ElementTree.ParseError:
        return ""
    paragraphs = []
    for paragraph in root.iter(f"{DOCX_NS}p"):
        words = []
        for node in paragraph.iter():
            if node.tag == f"{DOCX_NS}t" and node.text:
                words.append(node.text)
            elif node.tag == f"{DOCX_NS}tab":
                words.append("\t")
        paragraphs.append("".join(words))
    return "\n".join(paragraphs)


def _plain_text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("utf-8", errors="replace")


def extract_text(content: bytes, filename: str = "", content_type: str = "") -> str:
    """The file's text, whitespace tidied and at most MAX_TEXT_CHARS long ("" when unreadable)."""
    kind = _kind(content, filename, content_type or "")
    if kind == "pdf":
        text = _pdf_text(content)
    elif kind == "docx":
        text = _docx_text(content)
    elif kind == "text":
        text = _plain_text(content)
    else:
        return ""
    text = text.replace("\x00", "")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return text[:MAX_TEXT_CHARS]
