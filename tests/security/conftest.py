"""Helpers for the security controls' tests."""

from __future__ import annotations

import pytest

from icp_portal.security.models import SecurityEvent

LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str, *, consent: bool = True, **extra):
    """POST the sign-in form as a browser would (the consent box ticked unless told otherwise)."""
    data = {"username": username, "password": password}
    if consent:
        data["consent"] = "on"
    return client.post(LOGIN, data, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def events(kind: str, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters)


@pytest.fixture
def axes_on(settings):
    """django-axes is off in the rest of the suite (its tests sign in thousands of times)."""
    settings.AXES_ENABLED = True
    return settings
