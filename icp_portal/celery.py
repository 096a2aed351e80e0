"""The Celery application: renders PDFs, sends e-mail, relays the outbox and runs the periodic
sweeps. Workers and beat record a heartbeat in the database (``ServiceHeartbeat``) every
HEARTBEAT_SECONDS, which /readyz reads."""

from __future__ import annotations

import logging
import os
import socket
import time

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.local")

logger = logging.getLogger(__name__)

app = Celery("icp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def heartbeat_record(name: str, kind: str) -> None:
    """Upsert ``name``'s heartbeat; a database outage is logged, never raised."""
    from django.db import close_old_connections
    from django.utils import timezone

    from workflow.models import ServiceHeartbeat

    try:
        close_old_connections()
        ServiceHeartbeat.objects.update_or_create(name=name[:200], defaults={"kind": kind, "last_seen": timezone.now()})
    except Exception as exc:  # the database is down: /readyz will say so
        logger.warning("heartbeat of %s not recorded: %s", name, exc)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Records the worker's heartbeat from its timer while it consumes tasks."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        name = f"worker:{worker.hostname}"
        heartbeat_record(name, "worker")
        self.tref = worker.timer.call_repeatedly(settings.HEARTBEAT_SECONDS, heartbeat_record, (name, "worker"))

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler, recording "beat's last tick" at most every HEARTBEAT_SECONDS."""

    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        from django.conf import settings

        now = time.monotonic()
        if now - self._last_heartbeat >= settings.HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            heartbeat_record(f"beat:{socket.gethostname()}", "beat")
        delay = super().tick(*args, **kwargs)
        return min(delay, settings.HEARTBEAT_SECONDS)
