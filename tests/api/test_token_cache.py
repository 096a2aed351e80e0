"""Token lookups are cached, and a revocation, an expiry or a deactivation still ends a token at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from partners.models import ApiToken
from partners.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def _token_client(user):
    token, key = api_token_create(user=user, name="cached")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return token, client


def _token_lookups(queries) -> int:
    return sum(1 for q in queries if 'FROM "partners_apitoken"' in q["sql"] and "SELECT" in q["sql"])


def test_a_second_request_does_not_look_the_token_up_again(reviewer):
    _, client = _token_client(reviewer)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/me/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/me/").json()["username"] == "reviewer"
    assert _token_lookups(first.captured_queries) == 1
    assert _token_lookups(second.captured_queries) == 0
    assert len(second.captured_queries) == 0


def test_revoking_a_cached_token_ends_it_at_once(reviewer):
    token, client = _token_client(reviewer)
    assert client.get("/api/v1/me/").status_code == 200  # now cached
    api_token_revoke(token=token, user=reviewer)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_deactivating_the_user_ends_a_cached_token_at_once(reviewer):
    _, client = _token_client(reviewer)
    assert client.get("/api/v1/me/").status_code == 200
    reviewer.is_active = False
    reviewer.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_deleting_a_cached_token_ends_it_at_once(reviewer):
    token, client = _token_client(reviewer)
    assert client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.get(pk=token.pk).delete()
    assert client.get("/api/v1/me/").status_code == 401


def test_a_wrong_key_is_never_cached_as_valid(reviewer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/me/").status_code == 401
    assert client.get("/api/v1/me/").status_code == 401
