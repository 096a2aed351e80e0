"""The caller's address behind trusted proxies, and address matching against networks.

It imports no app, so the lowest modules (partners' token authentication, the security events)
can read it without loading the agreements or workflow apps that the access-log middleware needs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest


def _parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def address_in(value: str | None, networks: Iterable[str] | None) -> bool:
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


def client_address(request: HttpRequest) -> str | None:
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
