"""What an uploaded file is, decided by its content, never by the name or type the client sent.

``upload_check(content=, filename=)`` is called by ``agreements.services.document_upload``, so
every door (browser, API, generated PDFs, demo data, imports) passes it. It refuses anything that is
not one of ``settings.UPLOAD_ALLOWED_TYPES`` by content, anything whose name says another type
(HTML renamed ``.pdf``), Office files with macros, and markup dressed as text; it returns the
content type to store and to serve.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", (".pdf",)),
        FileType(
            "docx",
            "Word document (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileType(
            "xlsx",
            "Excel workbook (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        FileType("png", "PNG image", "image/png", (".png",)),
        FileType("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg")),
        FileType("txt", "plain text", "text/plain", (".txt", ".csv")),
    )
}
# Content types the download routes may send as they are; anything else goes out as octet-stream.
SAFE_DOWNLOAD_TYPES = frozenset(t.content_type for t in FILE_TYPES.values())
_MARKUP = re.compile(rb"^\s*<(?:!doctype|html|head|body|svg|\?xml|script|iframe|object|embed|meta)\b", re.I)
_SCRIPT = re.compile(rb"<\s*script\b", re.I)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ZIP_MEMBER_LIMIT = 2 * 1024 * 1024  # bytes read from [Content_Types].xml at most


class _Macro(Exception):
    pass


def _office_kind(content: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names:
            return None
        with archive.open("[Content_Types].xml") as handle:
            manifest = handle.read(_ZIP_MEMBER_LIMIT)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, NotImplementedError):
        return None
    if b"macroEnabled" in manifest or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _Macro
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_plain_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not (_CONTROL.search(content) or _MARKUP.match(content) or _SCRIPT.search(content))


def detect_file_type(content: bytes) -> str | None:
    """The key of ``FILE_TYPES`` the content is, or None. Raises ``_Macro`` for macro files."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    if _is_plain_text(content):
        return "txt"
    return None


def allowed_types() -> list[FileType]:
    """The file types uploads may have (``UPLOAD_ALLOWED_TYPES``)."""
    return [FILE_TYPES[key] for key in settings.UPLOAD_ALLOWED_TYPES if key in FILE_TYPES]


def _accepted() -> str:
    return ", ".join(t.label for t in allowed_types())


def upload_check(*, content: bytes, filename: str) -> FileType:
    """The type of an upload, or a ValidationError on ``file`` saying why it is refused."""
    allowed = {t.key for t in allowed_types()}
    try:
        kind = detect_file_type(content)
    except _Macro:
        raise ValidationError(
            {"file": "Files with macros (such as .xlsm or .docm) are not accepted. Save it without macros."}
        ) from None
    if kind is None or kind not in allowed:
        raise ValidationError({"file": f"This kind of file is not accepted. Upload one of: {_accepted()}."})
    file_type = FILE_TYPES[kind]
    extension = PurePosixPath((filename or "").lower()).suffix
    if extension not in file_type.extensions:
        raise ValidationError(
            {
                "file": f"The file is named “{extension or 'without an extension'}” but its content is "
                f"{file_type.label}. Give it the extension of what it is ({', '.join(file_type.extensions)})."
            }
        )
    return file_type


def download_content_type(stored: str | None) -> str:
    """The content type a download is served with: the stored (detected) one when it is one the
    portal accepts, otherwise ``application/octet-stream``."""
    return stored if stored in SAFE_DOWNLOAD_TYPES else "application/octet-stream"
