"""Container healthchecks for docker compose, built on the portal's own health endpoints:

    python scripts/healthcheck.py web      GET http://127.0.0.1:$PORT/healthz is 200 (liveness)
    python scripts/healthcheck.py worker   GET $READYZ_URL: a worker's heartbeat is fresh
    python scripts/healthcheck.py beat     GET $READYZ_URL: beat's last tick is fresh
    python scripts/healthcheck.py ready    GET $READYZ_URL is 200 (everything ready)

READYZ_URL defaults to http://web:8000/readyz (the web service inside the compose network).
The web check is liveness only: web must become healthy before the worker and beat start.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
from urllib.parse import urlsplit


def _get(url: str) -> tuple[int, dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=5)
    try:
        connection.request("GET", parts.path or "/", headers={"Host": "localhost"})
        response = connection.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body or b"{}")
        except ValueError:
            return response.status, {}
    finally:
        connection.close()


def web() -> bool:
    try:
        status, body = _get(f"http://127.0.0.1:{int(os.environ.get('PORT', '8000'))}/healthz")
    except OSError:
        return False
    return status == 200 and body.get("status") == "ok"


def readiness(check: str | None) -> bool:
    try:
        status, body = _get(os.environ.get("READYZ_URL", "http://web:8000/readyz"))
    except OSError:
        return False
    if check is None:
        return status == 200
    return bool(body.get("checks", {}).get(check, {}).get("ok"))


def main(argv: list[str]) -> int:
    checks = {
        "web": web,
        "worker": lambda: readiness("worker"),
        "beat": lambda: readiness("beat"),
        "ready": lambda: readiness(None),
    }
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: {argv[0]} {'|'.join(checks)}", file=sys.stderr)
        return 2
    return 0 if checks[argv[1]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
