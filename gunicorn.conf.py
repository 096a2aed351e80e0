"""gunicorn's settings for the portal's web process (read from the working directory; the
command line still sets the bind address, workers and the access log).

The access log writes the request line, path, query and referer of every request; the calendar
feed's token is in its path, so every atom passes through ``icp_portal.log_redaction.redact``,
and the credential headers are never logged even if the format asks for them."""

from __future__ import annotations

from gunicorn.glogging import Logger

from icp_portal.log_redaction import REDACTED, redact

SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{x-csrftoken}i", "{set-cookie}o")


class RedactingGunicornLogger(Logger):
    """gunicorn's logger with secrets taken out of the access log's atoms."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = redact(value)
        for name in SECRET_HEADERS:
            if name in atoms:
                atoms[name] = REDACTED
        return atoms


logger_class = RedactingGunicornLogger
