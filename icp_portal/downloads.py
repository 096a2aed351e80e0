"""One way to send a stored file to a browser or an API client: always as an attachment, with a
content type that cannot be sniffed into markup, a 404 (never a 500) when the file is missing
from storage, and every download — refused, missing or served — in the security log."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from icp_portal.security import events as security_events
from icp_portal.security.models import Outcome
from icp_portal.security.uploads import download_content_type


def download_refused(request: HttpRequest, *, wanted: str, detail: str, message: str = "No such document.") -> Http404:
    """Log a refused download (nothing said about why) and return the 404 to raise."""
    security_events.document_download(request, wanted=wanted[:200], outcome=Outcome.FAILURE, detail=detail)
    return Http404(message)


def _open(request: HttpRequest, file, *, missing: type[Exception], **logged: object):
    """The stored file opened for reading; when storage has lost it, the failure is logged (with
    ``logged``: the document, or the name wanted) and ``missing`` raised."""
    try:
        return file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        security_events.document_download(request, outcome=Outcome.FAILURE, detail="missing from storage", **logged)
        raise missing("The file is missing from storage.") from None


def _attachment(handle, *, filename: str, content_type: str, headers: dict[str, str] | None) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def document_response(
    request: HttpRequest,
    document,
    *,
    filename: str = "",
    content_type: str | None = None,
    detail: str = "",
    headers: dict[str, str] | None = None,
    missing: type[Exception] = Http404,
) -> FileResponse:
    """A stored ``Document`` the caller has already found visible to the user, as an attachment.

    ``content_type`` defaults to the stored (detected) type when it is one the portal accepts,
    ``application/octet-stream`` otherwise; pass ``application/octet-stream`` to force a plain
    download. ``missing`` is the exception raised when the file is gone from storage (``Http404``
    for the pages, DRF's ``NotFound`` for the API)."""
    handle = _open(request, document.file, missing=missing, document=document)
    security_events.document_download(request, document=document, detail=detail)
    return _attachment(
        handle,
        filename=filename or document.original_name or f"document-{document.pk}",
        content_type=download_content_type(document.content_type) if content_type is None else content_type,
        headers=headers,
    )


def file_response(
    request: HttpRequest,
    file,
    *,
    filename: str,
    content_type: str,
    wanted: str,
    headers: dict[str, str] | None = None,
) -> FileResponse:
    """A file the portal generated itself (an export, a register PDF) and not kept as a
    ``Document``: its content type is the portal's own. ``wanted`` names it in the log."""
    handle = _open(request, file, missing=Http404, wanted=wanted[:200])
    security_events.document_download(request, wanted=wanted[:200], detail=filename)
    return _attachment(handle, filename=filename, content_type=content_type, headers=headers)
