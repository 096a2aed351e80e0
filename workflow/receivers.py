"""The workflow's side of what the record services announce (``agreements.signals``): the audit
event and the notifications of a DDL request or decision, in the service's transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from agreements import signals
from agreements.models import Agreement, DdlDecision
from partners.models import Role, User

from .notifications import notify
from .selectors import DASHBOARD_FIELDS, dashboard_figures_changed
from .services import audit_event
from .transitions import EVENT_DDL_DECIDED, EVENT_DDL_REQUESTED


def ddl_review_requested(*, agreement: Agreement, ddl: DdlDecision, user: User, **kwargs: Any) -> None:
    """Audit the request and ask every disclosure office's coordinators for the review."""
    audit_event(agreement=agreement, event=EVENT_DDL_REQUESTED, user=user, comment=ddl.comment)
    notify(
        users=User.objects.filter(
            role=Role.COORDINATOR, is_active=True, coordinating_office__is_disclosure_office=True
        ),
        kind="ddl_review_requested",
        message=f"{agreement.reference}: the program office asks for the DDL / TS&FD review.",
        dedupe_key=f"ddl_requested:{agreement.pk}:{ddl.requested_at.isoformat()}",
        agreement=agreement,
    )


def ddl_decided(*, agreement: Agreement, ddl: DdlDecision, user: User, **kwargs: Any) -> None:
    """Audit the decision and tell the lead program office."""
    office = user.coordinating_office
    audit_event(
        agreement=agreement,
        event=EVENT_DDL_DECIDED,
        user=user,
        comment=f"{ddl.get_status_display()} by {office.name} on {ddl.decision_date:%Y-%m-%d}."
        + (f" {ddl.comment}" if ddl.comment else ""),
        data={"status": ddl.status, "office": office.code, "document": ddl.document_id},
    )
    program_office = list(
        User.objects.filter(role=Role.PROGRAM_OFFICE, organization_id=agreement.lead_organization_id, is_active=True)
    )
    notify(
        users=program_office,
        kind="ddl_decided",
        message=f"{agreement.reference}: the DDL is {ddl.get_status_display().lower()} by "
        f"{office.name} ({ddl.decision_date:%Y-%m-%d}).",
        dedupe_key=f"ddl_decided:{agreement.pk}:{ddl.pk}:{ddl.status}:{timezone.now().isoformat()}",
        agreement=agreement,
    )


def agreement_saved(*, instance: Agreement, created: bool = False, **kwargs: Any) -> None:
    """A new agreement, or one saved with a field the dashboard figures read: their cache key
    moves on once the transaction commits. Any door that saves an agreement passes here."""
    changed = getattr(instance, "saved_changes", None)
    if created or changed is None or changed & DASHBOARD_FIELDS:
        transaction.on_commit(dashboard_figures_changed)


def agreement_deleted(*, instance: Agreement, **kwargs: Any) -> None:
    """A deleted agreement leaves the figures: their cache key moves on after the commit."""
    transaction.on_commit(dashboard_figures_changed)


def connect() -> None:
    """Connect the receivers (``WorkflowConfig.ready``)."""
    post_save.connect(agreement_saved, sender=Agreement, dispatch_uid="workflow.agreement_saved")
    post_delete.connect(agreement_deleted, sender=Agreement, dispatch_uid="workflow.agreement_deleted")
    signals.ddl_review_requested.connect(ddl_review_requested, dispatch_uid="workflow.ddl_review_requested")
    signals.ddl_decided.connect(ddl_decided, dispatch_uid="workflow.ddl_decided")
