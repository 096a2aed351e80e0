"""Where each failing lifecycle condition is fixed, and the lifecycle rules themselves.

The conditions and permissions live beside the model they guard, in ``agreements.lifecycle``;
they are importable from here too. What stays here is the workflow's side: ``REASON_FIXES``, the
browser tab (a route name) and element that fixes each failing condition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agreements.lifecycle import (
    Condition,
    Permission,
    agreement_valid,
    congressional_wait_over,
    contributions_entered,
    coordination_complete,
    ddl_approved,
    draft_text_attached,
    expiration_date_reached,
    fixed_entry_into_force_date_reached,
    has_authority,
    has_participants,
    is_lead_program_office,
    is_reviewer,
    is_system,
    is_system_or_reviewer,
    master_in_force,
    negotiated_text_attached,
    ssoi_complete,
    ssoi_updated_since_negotiation,
    termination_notice_attached,
)

if TYPE_CHECKING:
    from agreements.models import Agreement

__all__ = [
    "REASON_FIXES",
    "Condition",
    "Permission",
    "agreement_valid",
    "congressional_wait_over",
    "contributions_entered",
    "coordination_complete",
    "ddl_approved",
    "draft_text_attached",
    "expiration_date_reached",
    "fixed_entry_into_force_date_reached",
    "has_authority",
    "has_participants",
    "is_lead_program_office",
    "is_reviewer",
    "is_system",
    "is_system_or_reviewer",
    "master_in_force",
    "negotiated_text_attached",
    "reason_fix",
    "ssoi_complete",
    "ssoi_updated_since_negotiation",
    "termination_notice_attached",
]


# --- where each failing condition is fixed -------------------------------------------------
# The tab (a browser route taking the agreement's reference), an optional query string and the
# id of the element on that tab. "What can be done now" turns each reason into a link there.
def _ssoi_fix(agreement: Agreement) -> tuple[str, str, str]:
    ssoi = getattr(agreement, "ssoi", None)
    missing = ssoi.missing_sections() if ssoi is not None else []
    first = missing[0].key if missing else ""
    if first == "financial_contributions":
        return ("agreement_participants", "", "add-contribution")
    if first == "loan_list":
        return ("agreement_participants", "", "add-loan-item")
    return ("agreement_ssoi", "", f"section-{first}" if first else "ssoi-sections")


def _contributions_fix(agreement: Agreement) -> tuple[str, str, str]:
    return ("agreement_participants", "", "add-loan-item" if agreement.is_section_65 else "add-contribution")


REASON_FIXES: dict[str, Callable[[Agreement], tuple[str, str, str]]] = {
    "has_participants": lambda a: ("agreement_participants", "", "add-participant"),
    "has_authority": lambda a: ("agreement_detail", "edit=1", "id_authority"),
    "ssoi_complete": _ssoi_fix,
    "draft_text_attached": lambda a: ("agreement_documents", "kind=draft_text", "upload-document"),
    "negotiated_text_attached": lambda a: ("agreement_documents", "kind=negotiated_text", "upload-document"),
    "termination_notice_attached": lambda a: ("agreement_documents", "kind=notice", "upload-document"),
    "contributions_entered": _contributions_fix,
    "ssoi_updated_since_negotiation": lambda a: ("agreement_ssoi", "", "ssoi-review"),
    "ddl_approved": lambda a: ("agreement_ssoi", "", "section-ddl_status"),
    "coordination_complete": lambda a: ("agreement_coordination", "", "open-round"),
    "congressional_wait_over": lambda a: ("agreement_coordination", "", "congressional-notice"),
}


def reason_fix(condition: Condition, agreement: Agreement) -> tuple[str, str, str] | None:
    """(route name, query string, element id) of the place that fixes ``condition``, or None."""
    fix = REASON_FIXES.get(condition.__name__)
    return fix(agreement) if fix else None
