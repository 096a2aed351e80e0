"""What the portal knows about each lifecycle transition besides its django-fsm-2 definition:
its label, whether a comment is required, and whether people (not only the system) start it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class TransitionName(models.TextChoices):
    """The name of each lifecycle transition (the ``Agreement`` method that makes it) and the label
    a person reads for it. Code that names a transition uses these, never a string literal."""

    START_SSOI = "start_ssoi", "Start the SSOI"
    SUBMIT_RAD = "submit_rad", "Submit for authority to negotiate (RAD)"
    AUTHORIZE_NEGOTIATION = "authorize_negotiation", "Authorize negotiation"
    RETURN_FOR_REVISION = "return_for_revision", "Return for revision"
    DISAPPROVE = "disapprove", "Disapprove"
    SUBMIT_RFA = "submit_rfa", "Submit for final approval (RFA)"
    APPROVE_CONCLUSION = "approve_conclusion", "Approve conclusion"
    END_CONGRESSIONAL_WAIT = "end_congressional_wait", "End the congressional wait"
    RECORD_SIGNATURE = "record_signature", "Record a signature"
    ENTER_INTO_FORCE = "enter_into_force", "Enter into force"
    EXPIRE = "expire", "Expire"
    TERMINATE = "terminate", "Terminate"
    WITHDRAW = "withdraw", "Withdraw"


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    comment_required: bool = False
    system_only: bool = False
    destructive: bool = False

    @property
    def label(self) -> str:
        return TransitionName(self.name).label


def _info(transition: TransitionName, **flags: bool) -> TransitionInfo:
    return TransitionInfo(transition.value, **flags)


TRANSITIONS: tuple[TransitionInfo, ...] = (
    _info(TransitionName.START_SSOI),
    _info(TransitionName.SUBMIT_RAD),
    _info(TransitionName.AUTHORIZE_NEGOTIATION),
    _info(TransitionName.RETURN_FOR_REVISION, comment_required=True),
    _info(TransitionName.DISAPPROVE, comment_required=True, destructive=True),
    _info(TransitionName.SUBMIT_RFA),
    _info(TransitionName.APPROVE_CONCLUSION),
    _info(TransitionName.END_CONGRESSIONAL_WAIT),
    _info(TransitionName.RECORD_SIGNATURE),
    _info(TransitionName.ENTER_INTO_FORCE, system_only=True),
    _info(TransitionName.EXPIRE, system_only=True),
    _info(TransitionName.TERMINATE, comment_required=True, destructive=True),
    _info(TransitionName.WITHDRAW, comment_required=True, destructive=True),
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
