"""At least 15 characters, whichever door sets the password."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from partners.models import Role, User
from partners.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SHORT = "fourteen-chars"  # 14
LONG_ENOUGH = "fifteen-chars!!"  # 15


def test_the_service_refuses_a_short_password(cast):
    with pytest.raises(ValidationError) as refused:
        user_create(username="shorty", role=Role.REVIEWER, password=SHORT)
    assert "at least 15 characters" in str(refused.value.message_dict["password"])
    assert not User.objects.filter(username="shorty").exists()
    assert user_create(username="longer", role=Role.REVIEWER, password=LONG_ENOUGH).check_password(LONG_ENOUGH)


def test_the_create_user_command_refuses_abc(cast, monkeypatch):
    monkeypatch.setitem(os.environ, "ICP_PASSWORD", "abc")
    with pytest.raises(CommandError, match="at least 15 characters"):
        call_command("create_user", "weak", "--role", "reviewer", stdout=StringIO())
    assert not User.objects.filter(username="weak").exists()


def test_the_manager_refuses_abc_and_still_makes_unusable_passwords(db):
    with pytest.raises(ValidationError, match="at least 15 characters"):
        User.objects.create_user("weak", password="abc", role=Role.REVIEWER)
    with pytest.raises(ValidationError, match="at least 15 characters"):
        User.objects.create_superuser("weakadmin", password="abc", role=Role.ADMIN)
    assert not User.objects.filter(username__in=["weak", "weakadmin"]).exists()
    assert User.objects.create_user("strong", password=LONG_ENOUGH, role=Role.REVIEWER).check_password(LONG_ENOUGH)
    assert not User.objects.create_user("nopassword", role=Role.REVIEWER).has_usable_password()


def test_createsuperuser_noinput_refuses_a_short_environment_password(db, monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "abc")
    with pytest.raises(CommandError, match="at least 15 characters"):
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "", stdout=StringIO())
    assert not User.objects.filter(username="root").exists()
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", LONG_ENOUGH)
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "", stdout=StringIO())
    root = User.objects.get(username="root")
    assert root.is_superuser and root.role == Role.ADMIN and root.check_password(LONG_ENOUGH)


def test_set_password_itself_enforces_the_policy(reviewer):
    with pytest.raises(ValidationError, match="at least 15"):
        reviewer.set_password("abc")
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_the_admin_refuses_a_short_password(client, admin_user, reviewer):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/partners/user/{reviewer.pk}/password/",
        {"password1": SHORT, "password2": SHORT, "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "at least 15 characters" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)
    response = client.post(
        "/admin/partners/user/add/",
        {"username": "newbie", "password1": SHORT, "password2": SHORT, "usable_password": "true", "role": "reviewer"},
    )
    assert "at least 15 characters" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_the_password_change_form_refuses_a_short_password(client, program_office):
    client.force_login(program_office)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": SHORT, "new_password2": SHORT},
    )
    assert response.status_code == 200 and "at least 15 characters" in response.content.decode()


def test_signing_in_as_nobody_with_a_short_password_is_a_plain_failure(client, db):
    response = client.post("/accounts/login/", {"username": "nobody", "password": "abc", "consent": "on"})
    assert response.status_code == 400
    assert "Check your user name and password" in response.content.decode() or "correct" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_there_is_no_self_service_password_reset(client, program_office, path):
    """An administrator resets a password; no anonymous door sends mail from inside a request."""
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": program_office.email or "po@example.mil"}).status_code == 404
    assert mail.outbox == []
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        with pytest.raises(NoReverseMatch):
            reverse(name)
