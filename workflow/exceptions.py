"""Why a lifecycle action was refused. Views map these to messages and HTTP status codes."""

from __future__ import annotations


class LifecycleError(Exception):
    """Base class: carries the sentences the user reads."""

    status_code = 400

    def __init__(self, reasons: str | list[str]):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__(" ".join(self.reasons))

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


class TransitionRefused(LifecycleError):
    """The action is possible in this state, but a condition is unmet or input is missing (400)."""


class TransitionForbidden(LifecycleError):
    """This user may not do this (403)."""

    status_code = 403


class TransitionConflict(LifecycleError):
    """The agreement moved on (a lost race, or the action no longer fits its state) (409)."""

    status_code = 409

    def __init__(self, reasons: str | list[str], current_state: str):
        super().__init__(reasons)
        self.current_state = current_state
