"""The audit trail: where an action came from, and one row per event."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from agreements.models import Agreement
from partners.models import User

from ..models import TransitionLog


# --- request context --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditContext:
    """Where an action came from, for the audit trail."""

    request_id: str = ""
    client_address: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> AuditContext:
        if request is None:
            return cls()
        return cls(request_id=getattr(request, "id", "") or "", client_address=request.META.get("REMOTE_ADDR"))


SYSTEM = AuditContext(request_id="system")


def audit_event(
    *,
    agreement: Agreement,
    event: str,
    user: User | None,
    comment: str = "",
    data: dict | None = None,
    context: AuditContext | None = None,
    source: str | None = None,
    target: str | None = None,
) -> TransitionLog:
    """Append one row to the audit trail."""
    context = context or AuditContext()
    return TransitionLog.objects.create(
        agreement=agreement,
        transition=event,
        source=source if source is not None else agreement.state,
        target=target if target is not None else agreement.state,
        user=user,
        comment=comment,
        data=data or {},
        request_id=context.request_id,
        client_address=context.client_address,
    )
