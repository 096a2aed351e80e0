"""Every lifecycle write: transitions, coordination positions, congressional notice, obligations
and the system sweeps. ``agreement_transition`` is the only door through which state changes.

One module per family: ``audit`` (the audit trail), ``lifecycle`` (what may be done now, the one
door and what follows a transition), ``coordination`` (rounds, positions, reminders, silence),
``sweeps`` (congressional notice, obligations, the dated sweeps) and ``renders`` (PDF requests).
Every public name is importable from ``workflow.services`` as well."""

from .audit import SYSTEM, AuditContext, audit_event
from .coordination import (
    awaited_deadlines_refresh,
    coordination_offices_set,
    coordination_position_record,
    coordination_reminder_send,
    coordination_round_open,
    position_reminder_denial,
    position_reminder_key,
    position_silence_denial,
    silence_sweep,
)
from .lifecycle import TransitionOption, agreement_transition, available_transitions
from .lifecycle import _open_obligations as _open_obligations  # workflow.imports: agreements already in force
from .renders import RENDER_TASK, render_job_request
from .sweeps import (
    congressional_notice_record,
    congressional_wait_sweep,
    entry_into_force_sweep,
    expiry_sweep,
    obligation_complete,
    obligation_complete_denial,
)

__all__ = [
    "RENDER_TASK",
    "SYSTEM",
    "AuditContext",
    "TransitionOption",
    "agreement_transition",
    "audit_event",
    "awaited_deadlines_refresh",
    "available_transitions",
    "congressional_notice_record",
    "congressional_wait_sweep",
    "coordination_offices_set",
    "coordination_position_record",
    "coordination_reminder_send",
    "coordination_round_open",
    "entry_into_force_sweep",
    "expiry_sweep",
    "obligation_complete",
    "obligation_complete_denial",
    "position_reminder_denial",
    "position_reminder_key",
    "position_silence_denial",
    "render_job_request",
    "silence_sweep",
]
