"""API tokens: expiry, revocation, roles, the profile page, and throttled failures."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from icp_portal.security.models import EventKind, Outcome, SecurityEvent
from partners.models import ApiToken
from partners.services import api_token_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-passphrase-2026"


def token_api(key: str, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_expires_after_the_configured_days(program_office, settings):
    settings.API_TOKEN_DAYS = 30
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token, key = api_token_create(user=program_office, name="nightly")
        assert token.expires_at == timezone.now() + dt.timedelta(days=30)
        assert token_api(key).get("/api/v1/me/").status_code == 200
        traveller.shift(dt.timedelta(days=30, seconds=1))
        assert token_api(key).get("/api/v1/me/").status_code == 401


def test_a_token_stops_working_after_a_password_change(client, program_office):
    _, key = api_token_create(user=program_office, name="script")
    assert token_api(key).get("/api/v1/me/").status_code == 200
    client.login(username="program_office", password=PASSWORD)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert token_api(key).get("/api/v1/me/").status_code == 401
    token = ApiToken.objects.get(user=program_office)
    assert token.revoked_reason == "password changed"
    assert SecurityEvent.objects.filter(kind=EventKind.TOKEN_REVOKED, detail="password changed").exists()


def test_a_token_stops_working_when_its_owner_is_deactivated(program_office):
    _, key = api_token_create(user=program_office, name="script")
    program_office.is_active = False
    program_office.save()
    assert token_api(key).get("/api/v1/me/").status_code == 401
    assert ApiToken.objects.get(user=program_office).revoked_reason == "account deactivated"


def test_signing_in_again_does_not_revoke_tokens(client, program_office):
    _, key = api_token_create(user=program_office, name="script")
    client.login(username="program_office", password=PASSWORD)  # writes last_login
    assert token_api(key).get("/api/v1/me/").status_code == 200


def test_liaisons_and_administrators_get_no_tokens_unless_allowed(client, liaison, admin_user, settings):
    settings.API_TOKENS_FOR_LIAISONS = False  # the defaults (the suite's conftest allows them)
    settings.API_TOKENS_FOR_ADMINS = False
    for user in (liaison, admin_user):
        with pytest.raises(PermissionDenied, match="not issued"):
            api_token_create(user=user, name="x")
    client.force_login(liaison)
    page = client.get("/profile/").content.decode()
    assert "not issued to partner liaisons" in page and 'action="/profile/tokens/"' not in page
    assert client.post("/profile/tokens/", {"name": "sneaky"}).status_code == 403
    assert not ApiToken.objects.filter(user=liaison).exists()
    with pytest.raises(CommandError, match="not issued to partner liaisons"):
        call_command("api_token", "liaison", stdout=StringIO(), stderr=StringIO())
    settings.API_TOKENS_FOR_LIAISONS = True
    _, key = api_token_create(user=liaison, name="allowed")
    assert token_api(key).get("/api/v1/me/").status_code == 200
    settings.API_TOKENS_FOR_LIAISONS = False  # switched off again: existing tokens stop too
    assert token_api(key).get("/api/v1/me/").status_code == 401


def test_the_profile_page_shows_each_tokens_last_use_and_expiry(client, program_office):
    token, key = api_token_create(user=program_office, name="export script")
    token_api(key, REMOTE_ADDR="192.0.2.15").get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_from == "192.0.2.15"
    client.force_login(program_office)
    page = client.get("/profile/").content.decode()
    assert token.last_used_at.strftime("%Y-%m-%d %H:%M") in page
    assert "192.0.2.15" in page
    assert token.expires_at.strftime("%Y-%m-%d") in page
    assert SecurityEvent.objects.filter(kind=EventKind.TOKEN_CREATED, user=program_office).exists()


def test_revoking_from_the_profile_is_logged(client, program_office):
    token, _ = api_token_create(user=program_office, name="old")
    client.force_login(program_office)
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    event = SecurityEvent.objects.get(kind=EventKind.TOKEN_REVOKED)
    assert event.user == program_office and event.detail == "revoked by its owner" and token.prefix in event.target


class TestFailedTokens:
    def test_failures_per_address_are_throttled_and_logged(self, program_office, settings):
        settings.API_TOKEN_FAILURE_LIMIT = 10
        _, good_key = api_token_create(user=program_office, name="good")
        statuses = [
            token_api(f"{index:08d}" + "f" * 32, REMOTE_ADDR="203.0.113.50").get("/api/v1/agreements/").status_code
            for index in range(12)
        ]
        assert statuses == [401] * 10 + [429] * 2
        throttled = token_api(f"{99:08d}" + "f" * 32, REMOTE_ADDR="203.0.113.50").get("/api/v1/agreements/")
        assert throttled.json()["code"] == "throttled" and throttled.json()["retry_after_seconds"] == 15 * 60
        # Even a good key is refused from that address until the window passes: a guess that
        # happens to be right cannot be told apart.
        assert token_api(good_key, REMOTE_ADDR="203.0.113.50").get("/api/v1/me/").status_code == 429
        assert token_api(good_key, REMOTE_ADDR="203.0.113.51").get("/api/v1/me/").status_code == 200
        failed = SecurityEvent.objects.filter(kind=EventKind.TOKEN_FAILED, outcome=Outcome.FAILURE)
        assert failed.count() == 10
        assert set(failed.values_list("client_address", flat=True)) == {"203.0.113.50"}
        assert SecurityEvent.objects.filter(kind=EventKind.TOKEN_THROTTLED).count() == 4

    def test_failures_per_key_prefix_are_throttled_across_addresses(self, db, settings):
        settings.API_TOKEN_FAILURE_LIMIT = 5
        statuses = [
            token_api("deadbeef" + f"{index:032d}", REMOTE_ADDR=f"198.51.100.{index}").get("/api/v1/me/").status_code
            for index in range(7)
        ]
        assert statuses == [401] * 5 + [429] * 2

    def test_the_log_never_holds_a_key(self, program_office):
        _, key = api_token_create(user=program_office, name="good")
        wrong = key[:8] + "0" * 32
        token_api(wrong).get("/api/v1/me/")
        token_api(key).get("/api/v1/me/")
        for event in SecurityEvent.objects.all():
            row = " ".join(str(v) for v in event.__dict__.values())
            assert key not in row and wrong not in row and key[:9] not in row
