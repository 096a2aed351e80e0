"""Writes to the security log. Every security-relevant event goes through ``record``: one row in
``SecurityEvent`` and one line on the ``icp_portal.security`` logger (for a SIEM). Neither ever
holds a password, a token key or a session id."""

from __future__ import annotations

import logging

from django.db import transaction

from icp_portal.addresses import client_address

from .models import EventKind, Outcome, SecurityEvent

logger = logging.getLogger("icp_portal.security")


def record(
    kind: str,
    *,
    request=None,
    user=None,
    username: str = "",
    outcome: str = Outcome.SUCCESS,
    target: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Write one security event. ``user`` defaults to the request's signed-in user."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if user is not None and not username:
        username = user.get_username()
    event = SecurityEvent(
        kind=kind,
        outcome=outcome,
        user=user if user is not None and user.pk else None,
        username=(username or "")[:150],
        client_address=client_address(request) if request is not None else None,
        request_id=getattr(request, "id", "") if request is not None else "",
        method=(request.method or "")[:10] if request is not None else "",
        path=request.path[:500] if request is not None else "",
        target=str(target)[:200],
        detail=str(detail)[:500],
    )
    # Its own savepoint: a failure to write the log must neither break the caller's transaction
    # nor turn a refusal into a server error (the logger line below is still written).
    try:
        with transaction.atomic():
            event.save()
    except Exception:  # logged below, the request goes on
        logger.exception("Could not write the security event %s", kind)
    logger.info(
        "security event=%s outcome=%s user=%s address=%s request_id=%s path=%s target=%s detail=%s",
        kind,
        outcome,
        event.username or "-",
        event.client_address or "-",
        event.request_id or "-",
        event.path or "-",
        event.target or "-",
        event.detail or "-",
    )
    return event


__all__ = ["EventKind", "Outcome", "record"]


def document_download(
    request, *, document=None, wanted: str = "", outcome: str = Outcome.SUCCESS, detail: str = ""
) -> None:
    """Log one download of a stored document (any user, any route): what, and the outcome."""
    if document is not None:
        target = f"document {document.pk}: {document.agreement.reference} {document.kind} v{document.version}"
        detail = detail or (document.original_name or "")
    else:
        target = wanted
    record(EventKind.DOCUMENT_DOWNLOAD, request=request, outcome=outcome, target=target, detail=detail)
