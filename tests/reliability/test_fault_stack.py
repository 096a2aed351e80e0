"""The fault suite's stack never inherits a URL that could point it at the shared servers: it
kills and hangs its Redis and PostgreSQL, and must only ever reach its own."""

from __future__ import annotations

from tests.faults.stack import PG_PORT, REDIS_PORT, SMTP_PORT, Stack


def test_the_stack_drops_every_inherited_server_setting(tmp_path, monkeypatch):
    shared = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/icp_portal",
        "MIGRATION_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/icp_portal",
        "CACHE_URL": "redis://127.0.0.1:6379/3",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "TEST_REDIS_URL": "redis://127.0.0.1:6379/5",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/4",
        "EMAIL_URL": "smtp://relay.example.mil:25",
        "STORAGE_BACKEND": "s3",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.mil",
        "PGHOST": "127.0.0.1",
        "PGPORT": "5432",
    }
    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    env = Stack(tmp_path).env
    assert env["DATABASE_URL"] == f"postgres://postgres@127.0.0.1:{PG_PORT}/icp_faults"
    assert env["REDIS_URL"] == env["CELERY_BROKER_URL"] == f"redis://127.0.0.1:{REDIS_PORT}/0"
    assert env["EMAIL_URL"] == f"smtp://127.0.0.1:{SMTP_PORT}"
    for name in shared.keys() - {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL"}:
        assert name not in env, name  # CACHE_URL unset: production's cache falls back to REDIS_URL
    assert not [value for value in env.values() if ":5432" in value or ":6379" in value]
