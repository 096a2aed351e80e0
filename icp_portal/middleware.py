"""Request id: every request carries one, echoed in the response and written to the audit trail."""

from __future__ import annotations

import re
import uuid

from .addresses import address_in, client_address

# address_in and client_address are importable from here as before (AXES_CLIENT_IP_CALLABLE).
__all__ = ["LiaisonAccessLogMiddleware", "RequestIdMiddleware", "address_in", "client_address"]

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


class LiaisonAccessLogMiddleware:
    """Every request a partner liaison makes is written to the access log, with the agreement
    it concerned when the URL names one (``reference`` or ``agreement_pk``/``pk`` on agreement
    routes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_liaison", False):
            self._log(request, response, user)
        return response

    def _log(self, request, response, user) -> None:
        from agreements.models import Agreement, Document
        from workflow.models import AccessLog

        match = getattr(request, "resolver_match", None)
        kwargs = match.kwargs if match else {}
        url_name = (match.url_name or "") if match else ""
        agreement_id = document_id = None
        if "pk" in kwargs and url_name.startswith("document"):
            document_id, agreement_id = (
                Document.objects.filter(pk=_as_int(kwargs["pk"])).values_list("pk", "agreement_id").first()
            ) or (None, None)
        if "reference" in kwargs:
            agreement_id = Agreement.objects.filter(reference=kwargs["reference"]).values_list("pk", flat=True).first()
        elif "agreement_pk" in kwargs:
            agreement_id = _as_int(kwargs["agreement_pk"])
        elif "pk" in kwargs and "agreement" in url_name:
            agreement_id = _as_int(kwargs["pk"])
        if agreement_id is not None and not Agreement.objects.filter(pk=agreement_id).exists():
            agreement_id = None
        AccessLog.objects.create(
            user=user,
            agreement_id=agreement_id,
            document_id=document_id,
            method=request.method[:10],
            path=request.get_full_path()[:500],
            status_code=response.status_code,
            request_id=getattr(request, "id", ""),
            client_address=client_address(request),
        )


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
