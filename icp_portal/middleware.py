"""Request id: every request carries one, echoed in the response and written to the audit trail."""

from __future__ import annotations

import re
import uuid

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Takes a sane X-Request-ID from the client or makes one, and exposes it as request.id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


def client_address(request) -> str | None:
    """The caller's address as the server saw it (proxies are trusted only via REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None
