"""CHECKS[rule][door] and SETUPS[rule]: the registry the rows fill."""

from __future__ import annotations

from collections.abc import Callable

from agreements.models import Agreement, Participant
from workflow.rulebook import RULE_KEYS

from .world import World

# --- the matrix -----------------------------------------------------------------------------------
# CHECKS[rule][door] is either a check (World, ctx) → None, or a sentence saying why the door cannot
# touch the rule. SETUPS[rule] builds what the rule's checks share.
CHECKS: dict[str, dict[str, Callable | str]] = {key: {} for key in RULE_KEYS}
SETUPS: dict[str, Callable[[World], dict]] = {}


def setup(rule: str):
    def register(fn):
        SETUPS[rule] = fn
        return fn

    return register


def door(rule: str, *names: str):
    def register(fn):
        for name in names:
            CHECKS[rule][name] = fn
        return fn

    return register


def not_applicable(rule: str, name: str, reason: str) -> None:
    CHECKS[rule][name] = reason


def admin_read_only_row(rule: str, model_name: str):
    def check(w, ctx):
        model = {"agreement": Agreement, "participant": Participant}[model_name]
        w.admin_refuses(model, ctx.get(model_name))

    CHECKS[rule]["admin"] = check
