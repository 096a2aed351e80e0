"""What every check of `make lint`'s repository checks (scripts/check_repo.py) shares: the
repository root, the list of checks, and the helpers a check fails with."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

CHECKS: list[Callable[[], None]] = []


class CheckFailed(Exception):
    """A check that does not hold, with the sentence that says why."""


def check(fn: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(fn)
    return fn


def require(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def text(name: str) -> str:
    path = ROOT / name
    require(path.is_file(), f"{name} is missing")
    return path.read_text()
