"""Health that tells the truth, and honest answers during an outage.

``/healthz`` (liveness): the web process answers; touches nothing else.
``/readyz`` (readiness): the database answers and has every migration applied, the broker
answers, a Celery worker's heartbeat is younger than READYZ_WORKER_MAX_AGE seconds and beat's last
tick younger than READYZ_BEAT_MAX_AGE. JSON, 200 when all hold, else 503; it names no host,
address or credential. It also says (under "warnings", or as the failed check "audit_role" when
READYZ_AUDIT_ROLE_REQUIRED) when the database role could rewrite the audit trail. Both are
answered by the first middleware, before host checks, sessions or the database, so an
orchestrator's probe works whatever the Host header.

When the database or the broker is down, a request gets a 503 with ``Retry-After``: JSON under
/api/, a plain page in the browser that says what is known about what was saved."""

from __future__ import annotations

import logging
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

_migrated = False  # once every migration is applied, this process stops asking
_audit_role_logged = False  # the audit-role warning is logged once per process, not per probe


def _database() -> dict:
    global _migrated
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            from django.db.migrations.executor import MigrationExecutor

            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return {"ok": False, "error": f"{len(pending)} migration(s) not applied"}
            _migrated = True
    except Exception as exc:
        return {"ok": False, "error": f"unreachable ({exc.__class__.__name__})"}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _broker() -> dict:
    from icp_portal.celery import app

    url = urlsplit(app.conf.broker_url or "")
    started = time.monotonic()
    if url.scheme in ("redis", "rediss"):
        import redis

        try:
            client = redis.Redis.from_url(
                app.conf.broker_url, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
            )
            client.ping()
            client.close()
        except Exception as exc:
            return {"ok": False, "error": f"unreachable ({exc.__class__.__name__})"}
    elif url.scheme not in ("memory", "filesystem", ""):
        from workflow.outbox import broker_unreachable_reason

        if broker_unreachable_reason(app, timeout=1.0):
            return {"ok": False, "error": "unreachable"}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _heartbeat(kind: str, max_age: int) -> dict:
    from workflow.models import ServiceHeartbeat

    try:
        latest = ServiceHeartbeat.objects.filter(kind=kind).order_by("-last_seen").values_list("last_seen", flat=True)
        last_seen = latest.first()
    except DatabaseError:
        return {"ok": False, "error": "unknown (database unreachable)"}
    if last_seen is None:
        return {"ok": False, "error": f"no {kind} has reported"}
    age = (timezone.now() - last_seen).total_seconds()
    result = {"ok": age <= max_age, "age_seconds": round(age, 1), "max_age_seconds": max_age}
    if not result["ok"]:
        result["error"] = f"last {kind} heartbeat {age:.0f} s ago"
    return result


def _audit_role() -> dict:
    from icp_portal.security.checks import audit_role_problems

    try:
        problems = audit_role_problems()
    except DatabaseError:
        return {"ok": False, "error": "unknown (database unreachable)"}
    if problems:
        global _audit_role_logged
        if not _audit_role_logged:
            logger.warning("the audit trail is not append-only for this connection: %s", "; ".join(problems))
            _audit_role_logged = True
        return {"ok": False, "error": "; ".join(problems)}
    return {"ok": True}


def readiness() -> dict:
    """Each dependency's state for ``/readyz``: database, broker, worker heartbeat and beat; and
    whether the database role could rewrite the audit trail (a warning, or a failed check when
    ``READYZ_AUDIT_ROLE_REQUIRED``)."""
    checks = {"database": _database(), "broker": _broker()}
    warnings = []
    if checks["database"]["ok"]:
        checks["worker"] = _heartbeat("worker", settings.READYZ_WORKER_MAX_AGE)
        checks["beat"] = _heartbeat("beat", settings.READYZ_BEAT_MAX_AGE)
        audit = _audit_role()
        if settings.READYZ_AUDIT_ROLE_REQUIRED:
            checks["audit_role"] = audit
        elif not audit["ok"]:
            warnings.append(f"audit_role: {audit['error']}")
    else:
        checks["worker"] = checks["beat"] = {"ok": False, "error": "unknown (database unreachable)"}
    result = {"status": "ok" if all(c["ok"] for c in checks.values()) else "unavailable", "checks": checks}
    if warnings:
        result["warnings"] = warnings
    return result


class HealthMiddleware:
    """Answers /healthz and /readyz before anything else runs (first in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            response = JsonResponse({"status": "ok"})
        elif request.path == "/readyz":
            result = readiness()
            response = JsonResponse(result, status=200 if result["status"] == "ok" else 503)
        else:
            return self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response


# --- outages ------------------------------------------------------------------------------------
def outage_kind(exc: BaseException | None) -> str | None:
    """Name the service ("database" or "broker") ``exc`` says is unreachable, else None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    try:
        from kombu.exceptions import OperationalError as BrokerOperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, BrokerOperationalError | RedisConnectionError | RedisTimeoutError):
        return "broker"
    return None


OUTAGE_MESSAGE = {
    "database": "The database is unavailable, so this request could not be completed.",
    "broker": "The background-job service is unavailable, so this request could not be completed.",
}
SAVED_NOTE = (
    "Nothing from this request was confirmed as saved: a change is saved only when the portal "
    "confirms it. Once the service is back, check the record before entering the change again."
)


def outage_response(request, kind: str) -> HttpResponse:
    """The 503 for an outage: JSON on the API, a plain self-contained page in the browser (no
    template that might need the database, no session)."""
    retry_after = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": f"{OUTAGE_MESSAGE[kind]} Retry in {retry_after} seconds.",
                "code": "service_unavailable",
                "unavailable": kind,
                "retry_after_seconds": int(retry_after),
            },
            status=503,
        )
    else:
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>Temporarily unavailable — ICP Portal</title></head>"
            "<body><main>"
            f"<p>{settings.PORTAL_MARKING}</p><h1>Temporarily unavailable</h1><p>{OUTAGE_MESSAGE[kind]}</p>"
            f"<p>{SAVED_NOTE}</p><p>Try again in a minute.</p></main></body></html>"
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, *args, **kwargs):
    """handler500: a 503 when the cause is an outage, Django's plain 500 otherwise."""
    kind = outage_kind(sys.exc_info()[1])
    if kind is not None:
        logger.warning("answered %s %s with 503: %s unavailable", request.method, request.path, kind)
        return outage_response(request, kind)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)
