"""Health that tells the truth, 503s with Retry-After during an outage, and input limits that
refuse before any database work."""

from __future__ import annotations

import json
import time

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from icp_portal import health
from tests.api.conftest import token_client
from workflow.models import ServiceHeartbeat

pytestmark = pytest.mark.django_db


def _beat(kind: str, seconds_ago: float = 0) -> None:
    ServiceHeartbeat.objects.update_or_create(
        name=f"{kind}:test",
        defaults={"kind": kind, "last_seen": timezone.now() - timezone.timedelta(seconds=seconds_ago)},
    )


def test_healthz_is_liveness_only(client):
    response = client.get("/healthz", HTTP_HOST="not-an-allowed-host.example")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_503_without_a_worker_or_beat(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False and "no worker" in body["checks"]["worker"]["error"]


def test_readyz_is_200_with_fresh_heartbeats_and_names_no_secret(client):
    _beat("worker", 5)
    _beat("beat", 5)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    text = response.content.decode()
    assert set(response.json()["checks"]) == {"database", "broker", "worker", "beat"}
    for secret in ("postgres://", "redis://", "127.0.0.1", "password"):
        assert secret not in text


def test_a_stale_worker_heartbeat_is_not_ready(client, settings):
    settings.READYZ_WORKER_MAX_AGE = 60
    _beat("worker", 120)
    _beat("beat", 1)
    body = client.get("/readyz").json()
    assert body["checks"]["worker"]["ok"] is False and body["checks"]["worker"]["age_seconds"] >= 120


def test_an_unreachable_broker_is_not_ready(client, settings):
    from icp_portal.celery import app

    _beat("worker")
    _beat("beat")
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 3
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503 and response.json()["checks"]["broker"]["ok"] is False


def test_database_down_is_a_503_json_on_the_api_and_a_plain_page_in_the_browser(program_office, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    api = token_client(program_office)
    browser = Client(raise_request_exception=False)
    browser.force_login(program_office)
    api.get("/api/v1/me/")  # the URLs and views are loaded before the database "goes away"
    from django.db.backends.utils import CursorWrapper

    monkeypatch.setattr(CursorWrapper, "execute", down)

    response = api.get("/api/v1/agreements/")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["code"] == "service_unavailable" and response.json()["unavailable"] == "database"

    page = browser.get("/agreements/")
    assert page.status_code == 503 and page["Retry-After"]
    html = page.content.decode()
    assert "Temporarily unavailable" in html and "confirmed as saved" in html
    assert "Nothing you entered was lost" not in html


def test_the_outage_handler_maps_only_outages():
    assert health.outage_kind(OperationalError("x")) == "database"
    assert health.outage_kind(ValueError("x")) is None


def test_a_huge_partners_list_is_refused_fast_with_a_400(program_office, django_assert_max_num_queries):
    api = token_client(program_office)
    payload = {"kind": "master", "title": "Huge", "partners": ["GBR"] * 120_000}
    assert len(json.dumps(payload)) > 680_000
    with django_assert_max_num_queries(8):  # the token and the user; no partner is looked up
        response = api.post("/api/v1/agreements/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "partners" in response.json()["errors"]
    assert "no more than 60" in response.json()["errors"]["partners"][0]


def test_unknown_partner_codes_are_looked_up_in_one_query(program_office, django_assert_max_num_queries):
    api = token_client(program_office)
    response = api.post(
        "/api/v1/agreements/", {"kind": "master", "title": "T", "partners": ["XXX", "GBR", "YYY"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"partners.0", "partners.2"}


def test_an_oversized_office_list_is_refused_before_any_lookup(reviewer, make_agreement, django_assert_max_num_queries):
    from agreements.choices import State
    from workflow.models import CoordinationRound

    agreement = make_agreement(State.RAD_REVIEW)
    round_ = CoordinationRound.objects.current_for(agreement)
    api = token_client(reviewer)
    with django_assert_max_num_queries(12):
        response = api.post(
            f"/api/v1/coordination-rounds/{round_.pk}/offices/", {"offices": ["GC"] * 50_000}, format="json"
        )
    assert response.status_code == 400 and "offices" in response.json()["errors"]
