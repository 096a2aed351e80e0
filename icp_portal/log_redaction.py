"""Secrets that travel in a URL never reach a log.

The calendar feed's address carries its token (``/calendar/feed/<token>.ics``: calendar programs
cannot send a header), so every log line that may hold a path passes through ``redact``: the
gunicorn access log (``gunicorn.conf.py`` installs ``RedactingGunicornLogger``) and the Django
log handlers (``RedactingFilter`` in ``LOGGING``, e.g. Django's "Not Found: <path>" for a revoked
feed). It imports no Django, so gunicorn's master can load it before the application."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

REDACTED = "[redacted]"
# A segment after /calendar/feed/ other than the portal's own routes there ("new", "<id>/revoke").
FEED_TOKEN = re.compile(r"(/calendar/feed/)(?!new(?:[/?#\s\"]|$)|\d+/revoke)([^/?#\s\"]+)", re.IGNORECASE)


def _hide(match: re.Match) -> str:
    suffix = ".ics" if match[2].lower().endswith(".ics") else ""
    return f"{match[1]}{REDACTED}{suffix}"


def redact(text: str) -> str:
    """``text`` with every calendar feed token replaced by ``[redacted]``. A percent-encoded
    address (``/calendar/%66eed/…`` reaches the same view) is decoded first when that is what
    reveals a token."""
    if not text or "/calendar/" not in text.lower() and "%" not in text:
        return text
    hidden = FEED_TOKEN.sub(_hide, text)
    if "%" in hidden:
        decoded = unquote(hidden)
        if FEED_TOKEN.search(decoded):
            hidden = FEED_TOKEN.sub(_hide, decoded)
    return hidden


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message through ``redact`` (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True
