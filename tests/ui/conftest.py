"""Fixtures of the browser-page tests (Django test client)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
