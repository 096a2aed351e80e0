"""A Redis outage suspends lockout and throttling; it does not turn sign-ins or API calls into
server errors."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from partners.services import api_token_create
from tests.conftest import PASSWORD

from .conftest import sign_in, signed_in

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:6439/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "icp_portal.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.AXES_ENABLED = True
    return settings


def test_the_cache_degrades_instead_of_failing(redis_down, caplog):
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.add("k", 1) is True
    assert cache.incr("k") == 1
    cache.set("k", 2)
    assert "Cache unavailable" in caplog.text


def test_sign_in_and_tokens_work_while_redis_is_down(client, redis_down, program_office):
    sign_in(client, "program_office", "wrong-password-here")
    response = sign_in(client, "program_office", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    _, key = api_token_create(user=program_office, name="script")
    api = client.__class__(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200
    assert api.__class__(HTTP_AUTHORIZATION="Token nope").get("/api/v1/me/").status_code == 401
