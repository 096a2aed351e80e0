"""Token and session authentication, the token management command and the profile page."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from partners.models import ApiToken
from partners.services import api_token_create

from .conftest import PASSWORD


@pytest.mark.django_db
class TestTokenAuthentication:
    def test_a_token_authenticates_and_only_its_hash_is_stored(self, program_office):
        token, key = api_token_create(user=program_office, name="nightly export")
        assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert token.prefix == key[:8]
        assert not ApiToken.objects.filter(key_hash=key).exists()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.get("/api/v1/me/")
        assert response.status_code == 200
        assert response.json()["username"] == "program_office"
        token.refresh_from_db()
        assert token.last_used_at is not None

    @pytest.mark.parametrize(
        "header",
        ["Token not-a-key", "Token", "Token a b", "token \xff", "Token " + "x" * 500],
    )
    def test_bad_tokens_are_401_with_a_json_body(self, program_office, header):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/v1/agreements/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] in ("authentication_failed", "not_authenticated")

    def test_no_credentials_is_401(self, db):
        response = APIClient().get("/api/v1/agreements/")
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }

    def test_a_revoked_token_stops_working(self, program_office):
        token, key = api_token_create(user=program_office, name="to revoke")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/me/").status_code == 200
        client_session = APIClient()
        client_session.login(username="program_office", password=PASSWORD)
        page = client_session.post(f"/profile/tokens/{token.pk}/revoke/")
        assert page.status_code == 302
        assert client.get("/api/v1/me/").status_code == 401

    def test_an_inactive_users_token_stops_working(self, program_office):
        _, key = api_token_create(user=program_office, name="x")
        program_office.is_active = False
        program_office.save()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/me/").status_code == 401

    def test_session_authentication_works_for_the_browser(self, liaison):
        client = APIClient()
        client.login(username="liaison", password=PASSWORD)
        assert client.get("/api/v1/me/").json()["partner"] == "GBR"


@pytest.mark.django_db
class TestApiTokenCommand:
    def test_prints_a_working_key(self, reviewer):
        out, err = StringIO(), StringIO()
        call_command("api_token", "reviewer", "--name", "osd sync", stdout=out, stderr=err)
        key = out.getvalue().strip()
        assert len(key) == 40
        assert "osd sync" in err.getvalue()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/me/").json()["role"] == "reviewer"

    def test_unknown_user_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="No user named 'nobody'"):
            call_command("api_token", "nobody", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
class TestProfilePage:
    def test_create_shows_the_key_once(self, client, program_office):
        client.login(username="program_office", password=PASSWORD)
        response = client.post("/profile/tokens/", {"name": "CI upload"})
        assert response.status_code == 200
        key = response.context["new_key"]
        assert key in response.content.decode()
        assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
        token = ApiToken.objects.get(user=program_office, name="CI upload")
        assert token.key_hash == ApiToken.hash_key(key)
        again = client.get("/profile/")
        assert key not in again.content.decode()
        assert "CI upload" in again.content.decode()
        assert token.prefix in again.content.decode()

    def test_a_blank_name_is_refused(self, client, program_office):
        client.login(username="program_office", password=PASSWORD)
        response = client.post("/profile/tokens/", {"name": "  "})
        assert response.status_code == 400
        assert not ApiToken.objects.filter(user=program_office).exists()

    def test_revoking_asks_for_confirmation_first(self, client, program_office):
        token, _ = api_token_create(user=program_office, name="old script")
        client.login(username="program_office", password=PASSWORD)
        confirm = client.get(f"/profile/tokens/{token.pk}/revoke/")
        assert confirm.status_code == 200
        assert "Revoke the token" in confirm.content.decode()
        token.refresh_from_db()
        assert token.revoked_at is None
        done = client.post(f"/profile/tokens/{token.pk}/revoke/", follow=True)
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert "is revoked" in done.content.decode()

    def test_another_users_token_is_404(self, client, program_office, reviewer):
        token, _ = api_token_create(user=reviewer, name="reviewer's")
        client.login(username="program_office", password=PASSWORD)
        assert client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
        assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None

    def test_profile_needs_a_login(self, client, db):
        response = client.get("/profile/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
