"""Request id: every request carries one, echoed in the response and written to the audit trail."""

from __future__ import annotations

import ipaddress
import re
import uuid

from django.conf import settings

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


def _parse_address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def address_in(value: str | None, networks) -> bool:
    """Whether ``value`` is one of ``networks`` (addresses or CIDR blocks, e.g. ``10.0.0.0/8``)."""
    address = _parse_address(value or "")
    if address is None:
        return False
    for network in networks or ():
        try:
            if address in ipaddress.ip_network(str(network).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request) -> str | None:
    """The caller's address. ``X-Forwarded-For`` is read only when the connection comes from one
    of ``settings.TRUSTED_PROXIES``, walking it from the right past further trusted proxies; a
    client cannot choose its own address by sending the header itself."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXIES", [])
    if not remote or not proxies or not address_in(remote, proxies):
        return remote if remote and _parse_address(remote) else None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        if _parse_address(hop) is None:
            break
        if not address_in(hop, proxies):
            return str(_parse_address(hop))
    return remote


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
