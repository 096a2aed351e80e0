"""What the portal knows about each lifecycle transition besides its django-fsm-2 definition:
its label, whether a comment is required, and whether people (not only the system) start it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    label: str
    comment_required: bool = False
    system_only: bool = False
    destructive: bool = False


TRANSITIONS: tuple[TransitionInfo, ...] = (
    TransitionInfo("start_ssoi", "Start the SSOI"),
    TransitionInfo("submit_rad", "Submit for authority to negotiate (RAD)"),
    TransitionInfo("authorize_negotiation", "Authorize negotiation"),
    TransitionInfo("return_for_revision", "Return for revision", comment_required=True),
    TransitionInfo("disapprove", "Disapprove", comment_required=True, destructive=True),
    TransitionInfo("submit_rfa", "Submit for final approval (RFA)"),
    TransitionInfo("approve_conclusion", "Approve conclusion"),
    TransitionInfo("end_congressional_wait", "End the congressional wait"),
    TransitionInfo("record_signature", "Record a signature"),
    TransitionInfo("enter_into_force", "Enter into force", system_only=True),
    TransitionInfo("expire", "Expire", system_only=True),
    TransitionInfo("terminate", "Terminate", comment_required=True, destructive=True),
    TransitionInfo("withdraw", "Withdraw", comment_required=True, destructive=True),
)
TRANSITION_NAMES: tuple[str, ...] = tuple(t.name for t in TRANSITIONS)
TRANSITION_INFO: dict[str, TransitionInfo] = {t.name: t for t in TRANSITIONS}

# Audit events that are not state changes (recorded in the same trail, hidden from liaisons).
EVENT_POSITION_RECORDED = "position_recorded"
EVENT_CONCURRED_BY_SILENCE = "concurred_by_silence"
EVENT_CONGRESSIONAL_NOTICE = "congressional_notice_recorded"
EVENT_AMENDMENT_APPLIED = "amendment_applied"
EVENT_MASTER_LAPSED = "master_lapsed"
EVENT_OFFICES_CHANGED = "coordination_offices_changed"
EVENT_OBLIGATION_COMPLETED = "obligation_completed"
EVENT_POSITION_REMINDED = "position_reminder_sent"
EVENT_IMPORTED = "imported"
EVENT_REMINDER_SENT = "reminder_sent"
EVENT_DDL_REQUESTED = "ddl_review_requested"
EVENT_DDL_DECIDED = "ddl_decided"
EVENT_LABELS = {
    EVENT_POSITION_REMINDED: "Reminder sent to a coordinating office",
    EVENT_POSITION_RECORDED: "Coordination position recorded",
    EVENT_CONCURRED_BY_SILENCE: "Concurred by silence",
    EVENT_CONGRESSIONAL_NOTICE: "Congressional notice recorded",
    EVENT_AMENDMENT_APPLIED: "Amendment applied",
    EVENT_MASTER_LAPSED: "Master agreement lapsed",
    EVENT_OFFICES_CHANGED: "Coordinating offices changed",
    EVENT_OBLIGATION_COMPLETED: "Reporting obligation completed",
    EVENT_IMPORTED: "Imported",
    EVENT_REMINDER_SENT: "Reminder sent to coordinating offices",
    EVENT_DDL_REQUESTED: "DDL / TS&FD review requested",
    EVENT_DDL_DECIDED: "DDL / TS&FD decision recorded",
}


def event_label(name: str) -> str:
    """The label a person reads for an audit event or transition name."""
    info = TRANSITION_INFO.get(name)
    return info.label if info else EVENT_LABELS.get(name, name.replace("_", " ").capitalize())
