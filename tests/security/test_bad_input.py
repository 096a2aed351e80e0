"""Malformed requests get a 4xx with a message, never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.urls import reverse

from agreements.choices import State
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_nested_json_gives_400(program_office, depth):
    body = "[" * depth + "]" * depth
    response = token_client(program_office).generic(
        "POST", "/api/v1/agreements/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_ordinary_json_nesting_still_works(program_office):
    response = token_client(program_office).generic(
        "POST", "/api/v1/agreements/", json.dumps({"title": {"a": [[{"b": 1}]]}}), content_type="application/json"
    )
    assert response.status_code == 400  # a field error, not a parse error
    assert "nested too deeply" not in response.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/agreements/%00/", "/agreements/%00/documents/", "/agreements/?q=%00", "/api/v1/agreements/?q=a%00b"]
)
def test_a_nul_byte_in_the_address_is_400(client, program_office, url):
    client.force_login(program_office)
    response = client.get(url)
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()


BAD_IDS = ["abc", "9" * 30, "-1", "1.5", "١٢", ""]


# The routes of an agreement's tabs that name a row by its id in the address.
ID_ROUTES = {
    "document_update": "agreement",
    "document_withdraw": "agreement",
    "participant_update": "agreement",
    "participant_remove": "agreement",
    "contribution_delete": "agreement",
    "loan_item_delete": "agreement",
    "position_remind": "agreement",
    "obligation_complete": "in_force",
}


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_in_browser_forms_are_4xx(client, make_agreement, program_office, bad):
    agreements = {"agreement": make_agreement(State.SSOI_DRAFTING), "in_force": make_agreement(State.IN_FORCE)}
    client.force_login(program_office)
    for route, which in ID_ROUTES.items():
        # The id in the address: what the route does not match, or names no row, is a 404.
        url = reverse(route, args=[agreements[which].reference, 1]).replace("/1/", f"/{quote(bad)}/")
        response = client.post(url, {"marking": "CUI", "confirmed": "yes"})
        assert response.status_code == 404, (route, url, response.status_code)
    notification = client.post("/notifications/", {"notification": bad})
    assert notification.status_code in (302, 400)  # "" marks all as read; anything else malformed is 400
    if bad:
        assert notification.status_code == 400
