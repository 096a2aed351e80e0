"""Container healthchecks for docker compose: `python scripts/healthcheck.py web|beat`.

web:  gunicorn answers HTTP on 127.0.0.1:$PORT below 500 (a redirect or 400 still means it serves).
beat: a `celery ... beat` process is running and the broker answers.
The worker's check is `celery -A icp_portal inspect ping`, which needs no script.
"""

from __future__ import annotations

import http.client
import os
import sys
from pathlib import Path


def web() -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), 5)
    try:
        connection.request("GET", "/", headers={"Host": "localhost"})
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def beat_process_running() -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"celery") for arg in arguments) and b"beat" in arguments:
            return True
    return False


def broker_reachable() -> bool:
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if not url:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=5).ping())
    except redis.RedisError:
        return False


def main(argv: list[str]) -> int:
    checks = {"web": web, "beat": lambda: beat_process_running() and broker_reachable()}
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: {argv[0]} {'|'.join(checks)}", file=sys.stderr)
        return 2
    return 0 if checks[argv[1]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
