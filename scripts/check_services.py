"""Checks that the PostgreSQL and Redis servers the test suite needs are reachable.

Creates the database named in DATABASE_URL when the server is up but the database is missing,
so `makemigrations --check` and pytest-django find it. Exits 1 with a clear message otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/icp_portal"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def check_postgres(url: str) -> str | None:
    """Return an error message, or None when the server answers."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/") or "postgres"
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"check-services: created database {name}")
    except psycopg.Error as exc:
        return f"PostgreSQL at {redact(url)} is not reachable: {exc}".strip()
    return None


def check_redis(url: str) -> str | None:
    """Return an error message, or None when the server answers PING."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis at {redact(url)} is not reachable: {exc}"
    return None


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def main() -> int:
    # The settings read .env (without overriding the environment); read it the same way.
    import environ

    environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)
    errors = [
        error
        for error in (
            check_postgres(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            check_redis(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL),
        )
        if error
    ]
    for error in errors:
        print(f"check-services: {error}", file=sys.stderr)
    if errors:
        print(
            "check-services: the tests need a running PostgreSQL and Redis. Start them, or set\n"
            "  DATABASE_URL / REDIS_URL to servers that are up. On this project's machines:\n"
            "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
            file=sys.stderr,
        )
        return 1
    print("check-services: PostgreSQL and Redis are reachable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
