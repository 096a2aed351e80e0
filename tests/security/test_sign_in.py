"""Consent banner, account lockout (STIG V-222432), the address slow-down and client addresses."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from icp_portal.security.models import EventKind, Outcome
from tests.conftest import PASSWORD

from .conftest import LOGIN, events, sign_in, signed_in

pytestmark = pytest.mark.django_db


class TestConsentBanner:
    def test_the_sign_in_page_shows_the_dod_notice_and_a_consent_box(self, client, db):
        page = client.get(LOGIN).content.decode()
        assert "You are accessing a U.S. Government (USG) Information System (IS)" in page
        assert "At any time, the USG may inspect and seize data stored on this IS." in page
        assert 'name="consent"' in page and "consent to its terms" in page

    def test_a_post_without_the_acknowledgement_is_refused_even_with_the_right_password(self, client, program_office):
        response = sign_in(client, "program_office", PASSWORD, consent=False)
        assert response.status_code == 400
        assert "tick the box to consent" in response.content.decode()
        assert not signed_in(client)
        refused = events(EventKind.BANNER_ACK, outcome=Outcome.FAILURE).get()
        assert refused.username == "program_office"
        assert not events(EventKind.SIGN_IN).exists()  # the password was never checked

    def test_the_acknowledgement_is_logged_and_the_user_signs_in(self, client, program_office):
        response = sign_in(client, "program_office", PASSWORD)
        assert response.status_code == 302 and signed_in(client)
        ack = events(EventKind.BANNER_ACK, outcome=Outcome.SUCCESS).get()
        assert ack.username == "program_office" and ack.client_address == "127.0.0.1"
        sign_in_event = events(EventKind.SIGN_IN, outcome=Outcome.SUCCESS).get()
        assert sign_in_event.user == program_office and sign_in_event.request_id

    def test_the_banner_text_is_configurable(self, client, settings, db):
        settings.CONSENT_BANNER_TEXT = "Authorized use only.\\n- First condition.\\n- Second condition."
        page = client.get(LOGIN).content.decode()
        assert "Authorized use only." in page and "<li>Second condition.</li>" in page
        assert "You are accessing" not in page

    def test_the_admin_signs_in_through_the_same_banner(self, client, admin_user):
        response = client.get("/admin/login/?next=/admin/partners/user/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpartners%2Fuser%2F"
        assert client.get("/admin/")["Location"].startswith("/admin/login/")
        refused = client.post(LOGIN, {"username": "admin", "password": PASSWORD, "next": "/admin/"})
        assert refused.status_code == 400 and not signed_in(client)
        done = client.post(LOGIN, {"username": "admin", "password": PASSWORD, "consent": "on", "next": "/admin/"})
        assert done["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200


class TestLockout:
    def test_the_fourth_attempt_with_the_right_password_fails(self, client, program_office, axes_on):
        for _attempt in range(3):
            response = sign_in(client, "program_office", "not-the-password-at-all")
        assert response.status_code == 429
        assert "This account is locked" in response.content.decode()
        fourth = sign_in(client, "program_office", PASSWORD)
        assert fourth.status_code == 429
        assert "This account is locked" in fourth.content.decode()
        assert not signed_in(client)
        lockout = events(EventKind.LOCKOUT).get()
        assert lockout.username == "program_office" and lockout.client_address == "127.0.0.1"
        failures = events(EventKind.SIGN_IN, outcome=Outcome.FAILURE, username="program_office")
        assert failures.count() == 4
        assert failures.order_by("-at", "-pk").first().detail == "refused: the account is locked"

    def test_five_bad_attempts_on_other_names_do_not_lock_out_a_real_user(self, client, program_office, axes_on):
        for index in range(5):
            sign_in(client, f"made-up-{index}", "whatever-password-1")
        for _ in range(2):
            sign_in(client, "made-up-0", "whatever-password-1")  # that name is locked now
        response = sign_in(client, "program_office", PASSWORD)
        assert response.status_code == 302 and signed_in(client)

    def test_a_locked_account_does_not_lock_another_from_the_same_address(
        self, client, program_office, reviewer, axes_on
    ):
        for _ in range(3):
            sign_in(client, "program_office", "wrong-wrong-wrong-1")
        assert sign_in(client, "reviewer", PASSWORD).status_code == 302

    def test_failures_older_than_the_window_do_not_count(self, client, program_office, axes_on):
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            sign_in(client, "program_office", "wrong-wrong-wrong-1")
            sign_in(client, "program_office", "wrong-wrong-wrong-2")
            traveller.shift(dt.timedelta(minutes=16))
            sign_in(client, "program_office", "wrong-wrong-wrong-3")
            assert sign_in(client, "program_office", PASSWORD).status_code == 302

    def test_the_lock_lifts_after_the_cool_off_and_not_before(self, client, program_office, axes_on):
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for _ in range(3):
                sign_in(client, "program_office", "wrong-wrong-wrong-1")
            traveller.shift(dt.timedelta(hours=2, minutes=59))
            assert sign_in(client, "program_office", PASSWORD).status_code == 429
            traveller.shift(dt.timedelta(minutes=2))
            assert sign_in(client, "program_office", PASSWORD).status_code == 302

    def test_attempts_while_locked_do_not_extend_the_lock(self, client, program_office, axes_on):
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for _ in range(3):
                sign_in(client, "program_office", "wrong-wrong-wrong-1")
            traveller.shift(dt.timedelta(hours=2))
            sign_in(client, "program_office", "wrong-wrong-wrong-1")
            traveller.shift(dt.timedelta(hours=1, minutes=1))
            assert sign_in(client, "program_office", PASSWORD).status_code == 302

    def test_an_administrator_unlocks_the_account(self, client, program_office, admin_user, axes_on):
        for _ in range(3):
            sign_in(client, "program_office", "wrong-wrong-wrong-1")
        admin = client.__class__()
        admin.force_login(admin_user)
        changelist = admin.get("/admin/partners/user/?q=program_office").content.decode()
        assert 'alt="True"' in changelist  # the "Locked out" column
        response = admin.post(
            "/admin/partners/user/",
            {"action": "unlock_accounts", "_selected_action": [program_office.pk]},
            follow=True,
        )
        assert "Unlocked: program_office." in response.content.decode()
        unlock = events(EventKind.UNLOCK).get()
        assert unlock.user == admin_user and unlock.target == "program_office"
        assert sign_in(client, "program_office", PASSWORD).status_code == 302


class TestAddressSlowDown:
    def test_many_failures_from_one_address_only_slow_it(self, client, program_office, axes_on):
        axes_on.LOGIN_ADDRESS_FAILURE_LIMIT = 10
        axes_on.LOGIN_ADDRESS_DELAY_SECONDS = 5
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for index in range(10):
                sign_in(client, f"sprayed-{index}", "Spring2026!Spring2026!")
            slowed = sign_in(client, "program_office", PASSWORD)
            assert slowed.status_code == 429
            assert slowed["Retry-After"] == "5"
            assert "Wait 5 seconds" in slowed.content.decode()
            assert events(EventKind.ADDRESS_SLOWED).exists()
            assert not events(EventKind.SIGN_IN, username="program_office").exists()  # not even checked
            traveller.shift(dt.timedelta(seconds=6))
            response = sign_in(client, "program_office", PASSWORD)
            assert response.status_code == 302 and signed_in(client)

    def test_other_addresses_are_not_slowed(self, client, program_office, axes_on):
        for index in range(12):
            sign_in(client, f"sprayed-{index}", "Spring2026!Spring2026!", REMOTE_ADDR="198.51.100.20")
        assert sign_in(client, "program_office", PASSWORD, REMOTE_ADDR="198.51.100.21").status_code == 302


class TestClientAddress:
    def test_forwarded_for_is_believed_only_from_a_trusted_proxy(self, client, program_office, settings):
        settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
        sign_in(client, "ghost", "whatever-password-1", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
        sign_in(client, "ghost", "whatever-password-1", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
        sign_in(
            client,
            "ghost",
            "whatever-password-1",
            REMOTE_ADDR="10.0.0.7",
            HTTP_X_FORWARDED_FOR="203.0.113.66, 192.0.2.44, 10.0.0.3",
        )
        addresses = list(
            events(EventKind.SIGN_IN, outcome=Outcome.FAILURE)
            .order_by("at", "pk")
            .values_list("client_address", flat=True)
        )
        # The rightmost address that is not one of our proxies is the client; anything left of it
        # was written by the client itself and may be forged.
        assert addresses == ["203.0.113.9", "198.51.100.7", "192.0.2.44"]

    def test_a_spoofed_forwarded_for_does_not_escape_the_slow_down(self, client, program_office, axes_on):
        axes_on.LOGIN_ADDRESS_FAILURE_LIMIT = 3
        for index in range(3):
            sign_in(client, f"x{index}", "whatever-password-1", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
        assert sign_in(client, "program_office", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
