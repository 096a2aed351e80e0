"""The administration site: the marking banner, and a confirmation before a liaison becomes staff."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_admin_page_carries_the_marking(client, admin_user, settings):
    settings.PORTAL_MARKING = "CUI//NOFORN"
    client.force_login(admin_user)
    for url in ("/admin/", "/admin/partners/user/", f"/admin/partners/user/{admin_user.pk}/change/"):
        page = client.get(url).content.decode()
        assert page.count("CUI//NOFORN") >= 2, url
        assert 'data-testid="admin-marking-top"' in page and 'data-testid="admin-marking-bottom"' in page


def _change(client, user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "partner": user.partner_id or "",
        "organization": user.organization_id or "",
        "coordinating_office": user.coordinating_office_id or "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "certificate_identities-TOTAL_FORMS": "0",
        "certificate_identities-INITIAL_FORMS": "0",
        "certificate_identities-MIN_NUM_FORMS": "0",
        "certificate_identities-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return client.post(f"/admin/partners/user/{user.pk}/change/", data)


def test_making_a_liaison_staff_asks_for_confirmation(client, admin_user, liaison):
    client.force_login(admin_user)
    refused = _change(client, liaison, is_staff="on")
    assert refused.status_code == 200
    assert "official of a foreign government" in refused.content.decode()
    liaison.refresh_from_db()
    assert not liaison.is_staff
    confirmed = _change(client, liaison, is_staff="on", confirm_liaison_staff="on")
    assert confirmed.status_code == 302
    liaison.refresh_from_db()
    assert liaison.is_staff
    again = _change(client, liaison, is_staff="on", first_name="Alex")  # already staff: no second question
    assert again.status_code == 302


def test_other_users_become_staff_without_the_question(client, admin_user, reviewer):
    client.force_login(admin_user)
    assert _change(client, reviewer, is_staff="on").status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.is_staff
