"""Headers, cookies and `check --deploy` with the production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from icp_portal.security.checks import proxy_addresses_check
from tests.conftest import PASSWORD

from .conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "TRUSTED_PROXIES"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="icp_portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="icp-portal.example.mil",
        TRUSTED_PROXIES="10.0.0.5",  # the TLS proxy in front of web
    )
    env.update(extra)
    return env


def _check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _check_deploy(_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_behind_a_proxy_without_trusted_proxies():
    result = _check_deploy(_production_env(TRUSTED_PROXIES=""))
    assert result.returncode != 0
    assert "icp.W001" in result.stderr and "TRUSTED_PROXIES" in result.stderr


def test_the_proxy_check_needs_trusted_proxies_wherever_a_proxy_header_is_believed(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    assert [m.id for m in proxy_addresses_check()] == ["icp.W001"]
    settings.TRUSTED_PROXIES = ["10.0.0.5", "fd00::/8"]
    assert proxy_addresses_check() == []
    settings.TRUSTED_PROXIES = ["proxy.internal"]
    assert [m.id for m in proxy_addresses_check()] == ["icp.W002"]
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.TRUSTED_PROXIES = []
    assert proxy_addresses_check() == []  # no proxy believed: REMOTE_ADDR is the client


def test_production_cookies_and_cache():
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_DOMAIN, "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1], s.SECURE_HSTS_PRELOAD, s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "Strict",
        "Strict",
        "None",
        "ResilientRedisCache",
        "True",
        "True",
    ]


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client, program_office):
    for response in (client.get("/accounts/login/"), client.get("/api/v1/agreements/")):
        assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    signed = sign_in(client, "program_office", PASSWORD)
    assert signed.cookies["sessionid"]["samesite"] == "Strict"
    assert signed.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["samesite"] == "Strict"
