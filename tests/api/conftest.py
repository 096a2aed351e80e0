"""API test helpers: a client per user authenticated with a real personal token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from partners.services import api_token_create
from tests.conftest import PASSWORD  # noqa: F401  (re-exported for the API tests)


@pytest.fixture(autouse=True)
def _tokens_for_every_role(settings):
    """The API suite drives every role, liaisons and administrators included, through personal
    tokens, as a deployment that allows them (API_TOKENS_FOR_LIAISONS/ADMINS) would. The default
    refusal is proven in test_authentication.py."""
    settings.API_TOKENS_FOR_LIAISONS = True
    settings.API_TOKENS_FOR_ADMINS = True


def token_client(user) -> APIClient:
    """An APIClient sending ``Authorization: Token <key>`` for a fresh token of ``user``."""
    _, key = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.user = user
    return client


@pytest.fixture
def api(db):
    """``api(user)`` → an authenticated APIClient."""
    return token_client


def issue_key(user) -> str:
    """A new personal token's key for ``user``."""
    return api_token_create(user=user, name="tests")[1]
