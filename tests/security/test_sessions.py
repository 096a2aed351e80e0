"""Session idle and absolute time-outs, enforced on the server (STIG V-222389/V-222390)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from icp_portal.security.middleware import SIGNED_IN_AT
from icp_portal.security.models import EventKind
from tests.conftest import PASSWORD

from .conftest import events, sign_in, signed_in

pytestmark = pytest.mark.django_db


def test_an_idle_session_expires_on_the_server(client, program_office):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert sign_in(client, "program_office", PASSWORD).status_code == 302
        session_key = client.session.session_key
        assert client.get("/agreements/").status_code == 200
        traveller.shift(dt.timedelta(minutes=15, seconds=30))
        response = client.get("/agreements/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/agreements/"
        assert not Session.objects.filter(session_key=session_key).exists()  # gone, not just forgotten
        page = client.get(response["Location"]).content.decode()
        assert "You were signed out: idle for more than 15 minutes" in page
        expired = events(EventKind.SESSION_EXPIRED).get()
        assert expired.user == program_office and "idle" in expired.detail


def test_activity_keeps_the_session_alive(client, program_office):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "program_office", PASSWORD)
        for _ in range(4):
            traveller.shift(dt.timedelta(minutes=14))
            assert client.get("/agreements/").status_code == 200
        assert signed_in(client)


def test_administrators_time_out_after_ten_minutes(client, admin_user):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "admin", PASSWORD)
        traveller.shift(dt.timedelta(minutes=10, seconds=30))
        assert client.get("/admin/")["Location"].startswith("/accounts/login/")
        assert not signed_in(client)


def test_the_session_ends_twelve_hours_after_sign_in_however_active(client, program_office):
    sign_in(client, "program_office", PASSWORD)
    session = client.session
    session[SIGNED_IN_AT] -= 12 * 3600 + 60
    session.save()
    response = client.get("/agreements/")
    assert response.status_code == 302 and not signed_in(client)
    assert "signed in for more than 12 hours" in events(EventKind.SESSION_EXPIRED).get().detail


def test_background_polling_is_not_activity_but_stay_signed_in_is(client, program_office):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "program_office", PASSWORD)
        traveller.shift(dt.timedelta(minutes=10))
        status = client.get("/session/status/", HTTP_X_PORTAL_BACKGROUND="1")
        assert status.json() == {"remaining_seconds": 5 * 60}
        traveller.shift(dt.timedelta(minutes=4))
        keepalive = client.post("/session/keepalive/")
        assert keepalive.json() == {"remaining_seconds": 15 * 60}
        traveller.shift(dt.timedelta(minutes=14))
        assert client.get("/agreements/").status_code == 200
        traveller.shift(dt.timedelta(minutes=10))
        client.get("/session/status/", HTTP_X_PORTAL_BACKGROUND="1")
        traveller.shift(dt.timedelta(minutes=6))
        expired = client.get("/session/status/", HTTP_X_PORTAL_BACKGROUND="1")
        assert expired.status_code == 401 and expired.json()["code"] == "session_expired"


def test_an_expired_htmx_request_is_sent_to_sign_in(client, program_office):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "program_office", PASSWORD)
        traveller.shift(dt.timedelta(minutes=16))
        response = client.get("/agreements/", HTTP_HX_REQUEST="true")
        assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/login/"


def test_every_signed_in_page_carries_the_time_out_warning(client, program_office, admin_user):
    sign_in(client, "program_office", PASSWORD)
    page = client.get("/agreements/").content.decode()
    assert 'id="session-timeout"' in page
    assert 'data-idle-seconds="900"' in page and 'data-warning-seconds="120"' in page
    assert "Stay signed in" in page
    client.post("/accounts/logout/")
    assert 'id="session-timeout"' not in client.get("/accounts/login/").content.decode()
    client.force_login(admin_user)
    admin_page = client.get("/admin/").content.decode()
    assert 'data-idle-seconds="600"' in admin_page


def test_sign_out_ends_the_session_on_the_server(client, program_office):
    sign_in(client, "program_office", PASSWORD)
    session_key = client.session.session_key
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert events(EventKind.SIGN_OUT).get().user == program_office
