from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.core.management.base import BaseCommand
from django.utils import timezone

from workflow.demo import ClockFactory, seed_demo


class TravellingClock:
    """Moves the process's clock with time-machine so that a demo history spans months, never
    past the real present. Only this command travels in time: the demo driver is told the clock."""

    def __init__(self, coordinates, real_now: dt.datetime):
        self._coordinates = coordinates
        self._real_now = real_now

    def advance(self, days: int) -> None:
        room = self._real_now - dt.timedelta(minutes=5) - timezone.now()
        self._coordinates.shift(min(dt.timedelta(days=days), max(room, dt.timedelta(0))))


def travelling_clock() -> ClockFactory | None:
    """A clock factory for the demo driver, or None without time-machine (a development
    dependency, installed by ``make run``): then every history is dated today."""
    try:
        import time_machine
    except ImportError:
        return None

    @contextlib.contextmanager
    def clock(days_ago: int) -> Iterator[TravellingClock]:
        real_now = timezone.now()
        with time_machine.travel(real_now - dt.timedelta(days=days_ago), tick=False) as coordinates:
            yield TravellingClock(coordinates, real_now)

    return clock


class Command(BaseCommand):
    help = (
        "Load reference data, one demo user per role (password DEMO_PASSWORD) and a dozen agreements "
        "in every lifecycle state, each moved there through the real services. Safe to run again."
    )

    def handle(self, *args, **options):
        result = seed_demo(clock=travelling_clock(), today=timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {result['agreements']} new agreements, {result['users']} users.")
        )
