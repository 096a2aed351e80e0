"""The calendar feed's token (in its address) never reaches a log: gunicorn's access log and the
Django log handlers both pass through ``icp_portal.log_redaction.redact``."""

from __future__ import annotations

import datetime as dt
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from icp_portal.log_redaction import RedactingFilter, redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zq3vK9-secret_feed_token"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/calendar/feed/{TOKEN}.ics", "/calendar/feed/[redacted].ics"),
        (f"GET /calendar/feed/{TOKEN}.ics?x=1 HTTP/1.1", "GET /calendar/feed/[redacted].ics?x=1 HTTP/1.1"),
        (
            f"https://portal.example.mil/calendar/feed/{TOKEN}.ics",
            "https://portal.example.mil/calendar/feed/[redacted].ics",
        ),
        (f"Not Found: /calendar/feed/{TOKEN}", "Not Found: /calendar/feed/[redacted]"),
        (f"GET /Calendar/Feed/{TOKEN}.ICS HTTP/1.1", "GET /Calendar/Feed/[redacted].ics HTTP/1.1"),
        (f"GET /calendar/%66eed/{TOKEN}.ics HTTP/1.1", "GET /calendar/feed/[redacted].ics HTTP/1.1"),
        ("POST /calendar/feed/new/ HTTP/1.1", "POST /calendar/feed/new/ HTTP/1.1"),
        ("POST /calendar/feed/12/revoke/ HTTP/1.1", "POST /calendar/feed/12/revoke/ HTTP/1.1"),
        ("GET /agreements/?q=50%25 HTTP/1.1", "GET /agreements/?q=50%25 HTTP/1.1"),
        ("GET /calendar/ HTTP/1.1", "GET /calendar/ HTTP/1.1"),
        ("", ""),
    ],
)
def test_redact_hides_the_feed_token_and_nothing_else(text, expected):
    assert redact(text) == expected
    assert TOKEN not in redact(text)


def test_the_gunicorn_access_log_never_holds_the_token(tmp_path):
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(U)s %(q)s "%(f)s" %({authorization}i)s')
    cfg.set("logger_class", config["logger_class"])
    logger = cfg.logger_class(cfg)
    environ = {
        "REMOTE_ADDR": "10.0.0.5",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/feed/{TOKEN}.ics?from=2026",
        "PATH_INFO": f"/calendar/feed/{TOKEN}.ics",
        "QUERY_STRING": "from=2026",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://portal.example.mil/calendar/feed/{TOKEN}.ics",
        "HTTP_USER_AGENT": "calendar",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Token abcdefgh-secret")])
    response = SimpleNamespace(status="200 OK", sent=120, headers=[])
    logger.access(response, request, environ, dt.timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert line.strip() == (
        '10.0.0.5 "GET /calendar/feed/[redacted].ics?from=2026 HTTP/1.1" 200 /calendar/feed/[redacted].ics '
        'from=2026 "https://portal.example.mil/calendar/feed/[redacted].ics" [redacted]'
    )


def test_the_django_log_handlers_redact_the_token():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/calendar/feed/{TOKEN}.ics",), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "Not Found: /calendar/feed/[redacted].ics"
    untouched = logging.LogRecord("x", logging.INFO, __file__, 1, "%s rows", (3,), None)
    RedactingFilter().filter(untouched)
    assert (untouched.msg, untouched.args) == ("%s rows", (3,))
    console = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    assert console, "LOGGING's console handler does not redact"
