"""Agreements through the API: create, filter, the SSOI, transitions, documents, errors, and what
a partner liaison receives."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from rest_framework.throttling import UserRateThrottle

from agreements.choices import AgreementKind, DdlStatus, DocumentKind, State
from agreements.models import Agreement
from workflow.demo import SSOI_TEXT
from workflow.models import TransitionLog

from .conftest import token_client

pytestmark = pytest.mark.django_db

INTERNAL_AGREEMENT_FIELDS = {
    "internal_notes",
    "action_officer",
    "releasable_to_partners",
    "coordination",
    "congressional_notice_date",
}


def test_program_office_creates_a_proposal(program_office):
    api = token_client(program_office)
    response = api.post(
        "/api/v1/agreements/",
        {
            "kind": "master",
            "title": "Cooperative sensors",
            "partners": ["gbr", "FRA"],
            "lead_partner": "FRA",
            "authority": "usc_2350a",
            "internal_notes": "US only",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "proposal"
    assert body["lead_organization"] == "ARMY"
    assert {p["partner"]: p["role"] for p in body["participants"]} == {"FRA": "lead", "GBR": "participant"}
    assert body["internal_notes"] == "US only"
    assert Agreement.objects.get(pk=body["id"]).ssoi is not None


def test_invalid_input_gets_a_message_per_field(program_office):
    api = token_client(program_office)
    response = api.post("/api/v1/agreements/", {"kind": "treaty", "partners": ["XXX"]}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"kind", "title", "partners.0"}
    assert response.json()["code"] == "invalid"


def test_a_service_rule_is_a_400_on_its_field(program_office):
    api = token_client(program_office)
    response = api.post(
        "/api/v1/agreements/",
        {"kind": AgreementKind.PROJECT_ARRANGEMENT, "title": "PA without master", "partners": ["GBR"]},
        format="json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]


def test_liaison_gets_no_internal_fields_at_all(make_agreement, liaison):
    agreement = make_agreement(State.RAD_REVIEW, releasable_to_partners=True, internal_notes="secret")
    api = token_client(liaison)
    detail = api.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert not INTERNAL_AGREEMENT_FIELDS & set(detail)
    assert "secret" not in str(detail)
    listed = api.get("/api/v1/agreements/").json()["results"][0]
    assert not INTERNAL_AGREEMENT_FIELDS & set(listed)
    # No audit row at all: internal transitions and their dates would reveal returns and delays.
    assert api.get(f"/api/v1/audit-log/?agreement={agreement.pk}").json()["results"] == []
    assert detail["partner_status"] == "under_us_review" and detail["partner_status_label"] == "Under U.S. review"
    for document in api.get("/api/v1/documents/").json()["results"]:
        assert "uploaded_by" not in document and "releasable_to_partners" not in document
    # A DoD user gets the same record with the internal fields.
    dod = token_client(agreement.action_officer).get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert INTERNAL_AGREEMENT_FIELDS <= set(dod)
    assert dod["coordination"]["stage"] == "rad"


def test_filters_ordering_and_pagination(make_agreement, program_office):
    make_agreement(State.PROPOSAL, partners=("GBR",), title="Alpha radar")
    make_agreement(State.SSOI_DRAFTING, partners=("FRA",), title="Bravo sonar")
    make_agreement(State.PROPOSAL, kind=AgreementKind.SECTION_65_LOAN, partners=("JPN",), title="Charlie loan")
    api = token_client(program_office)

    def titles(query):
        response = api.get(f"/api/v1/agreements/?{query}")
        assert response.status_code == 200, response.json()
        return [row["title"] for row in response.json()["results"]]

    assert titles("partner=FRA") == ["Bravo sonar"]
    assert titles("state=proposal&ordering=title") == ["Alpha radar", "Charlie loan"]
    assert titles("kind=section_65_loan") == ["Charlie loan"]
    assert titles("q=sonar") == ["Bravo sonar"]
    assert titles("ordering=-title") == ["Charlie loan", "Bravo sonar", "Alpha radar"]
    assert titles(f"created_after={timezone.localdate():%Y-%m-%d}&organization=ARMY&authority=aeca_65") == [
        "Charlie loan"
    ]
    page = api.get("/api/v1/agreements/?page_size=2&ordering=title").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    bad = api.get("/api/v1/agreements/?state=nowhere&effective_after=yesterday")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"state", "effective_after"}
    assert api.get("/api/v1/agreements/?page=99").status_code == 404


def test_transitions_list_what_the_caller_may_do_and_why_not(make_agreement, program_office, other_program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    own = token_client(program_office).get(f"/api/v1/agreements/{agreement.pk}/transitions/").json()
    assert own["state"] == "ssoi_drafting"
    options = {o["name"]: o for o in own["transitions"]}
    assert set(options) == {"submit_rad", "withdraw"}
    assert options["withdraw"]["allowed"] and options["withdraw"]["comment_required"]
    assert not options["submit_rad"]["allowed"]
    assert any("SSOI" in reason for reason in options["submit_rad"]["reasons"])
    other = token_client(other_program_office).get(f"/api/v1/agreements/{agreement.pk}/transitions/").json()
    assert all(not o["allowed"] for o in other["transitions"])
    assert "Department of the Army" in other["transitions"][0]["reasons"][0]


def test_fill_the_ssoi_and_submit_through_the_api(make_agreement, program_office):
    agreement = make_agreement(State.PROPOSAL)
    api = token_client(program_office)
    url = f"/api/v1/agreements/{agreement.pk}"
    started = api.post(f"{url}/transitions/", {"name": "start_ssoi"}, format="json")
    assert started.status_code == 200 and started.json()["target"] == "ssoi_drafting"
    refused = api.post(f"{url}/transitions/", {"name": "submit_rad"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "refused" and refused.json()["reasons"]
    ssoi = api.patch(f"{url}/ssoi/", SSOI_TEXT, format="json")
    assert ssoi.status_code == 200
    ddl = api.post(f"{url}/ddl/request/", {}, format="json")
    assert ddl.status_code == 200 and ddl.json()["status"] == DdlStatus.IN_REVIEW
    participant = agreement.participants.get()
    assert (
        api.post(
            "/api/v1/contributions/",
            {"participant": participant.pk, "description": "Funds", "amount_usd": "1000000.00"},
            format="json",
        ).status_code
        == 201
    )
    # The United States contributes too: no participant, the agreement instead.
    us = api.post(
        "/api/v1/contributions/",
        {"agreement": agreement.pk, "description": "U.S. funds", "amount_usd": "3000000.00"},
        format="json",
    )
    assert us.status_code == 201 and us.json()["partner"] == "USA" and us.json()["participant"] is None
    shares = {row["partner"]: row["share"] for row in api.get(f"{url}/equitability/").json()}
    assert shares == {"USA": "75.0", "GBR": "25.0"}
    upload = api.post(
        "/api/v1/documents/",
        {
            "agreement": agreement.pk,
            "kind": DocumentKind.DRAFT_TEXT,
            "file": SimpleUploadedFile("draft.pdf", b"%PDF-1.4 draft"),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    assert api.get(f"{url}/ssoi/").json()["completed_sections"] == api.get(f"{url}/ssoi/").json()["total_sections"]
    submitted = api.post(f"{url}/transitions/", {"name": "submit_rad", "comment": "Ready"}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["agreement"]["state"] == "rad_review"
    log = TransitionLog.objects.get(agreement=agreement, transition="submit_rad")
    assert log.user == program_office and log.comment == "Ready" and log.request_id


def test_record_signatures_until_in_force(make_agreement, program_office):
    agreement = make_agreement(State.APPROVED, partners=("GBR",))
    api = token_client(program_office)
    url = f"/api/v1/agreements/{agreement.pk}/transitions/"
    today = timezone.localdate().isoformat()
    us = api.post(
        url,
        {
            "name": "record_signature",
            "participant": None,
            "signature_date": today,
            "signatory_name": "USD(A&S)",
            "signatory_title": "Under Secretary",
        },
        format="json",
    )
    assert us.status_code == 200 and us.json()["target"] == "signing"
    again = api.post(
        url,
        {"name": "record_signature", "participant": None, "signature_date": today, "signatory_name": "USD(A&S)"},
        format="json",
    )
    assert again.status_code == 400 and "already" in again.json()["detail"]
    future = api.post(
        url,
        {
            "name": "record_signature",
            "participant": agreement.participants.get().pk,
            "signature_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "signatory_name": "Minister",
        },
        format="json",
    )
    assert future.status_code == 400
    uk = api.post(
        url,
        {
            "name": "record_signature",
            "participant": agreement.participants.get().pk,
            "signature_date": today,
            "signatory_name": "Minister of Defence",
        },
        format="json",
    )
    assert uk.status_code == 200 and uk.json()["agreement"]["state"] == "in_force"


def test_a_transition_whose_state_moved_on_is_409_with_the_current_state(make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    api = token_client(program_office)
    url = f"/api/v1/agreements/{agreement.pk}/transitions/"
    stale = api.post(url, {"name": "withdraw", "comment": "x", "expected_state": "proposal"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_state"] == "ssoi_drafting"
    wrong_state = api.post(url, {"name": "start_ssoi"}, format="json")
    assert wrong_state.status_code == 409
    assert wrong_state.json()["current_state"] == "ssoi_drafting"
    assert agreement.transition_logs.filter(transition="withdraw").count() == 0


def test_a_lost_race_in_the_service_is_409(make_agreement, program_office):
    from django_fsm import ConcurrentTransition

    agreement = make_agreement(State.SSOI_DRAFTING)
    api = token_client(program_office)
    with mock.patch.object(Agreement, "save", side_effect=ConcurrentTransition("lost")):
        response = api.post(
            f"/api/v1/agreements/{agreement.pk}/transitions/", {"name": "withdraw", "comment": "x"}, format="json"
        )
    assert response.status_code == 409
    assert response.json()["current_state"] == "ssoi_drafting"


def test_forbidden_transition_is_403_with_the_reason(make_agreement, reviewer):
    agreement = make_agreement(State.SSOI_DRAFTING)
    response = token_client(reviewer).post(
        f"/api/v1/agreements/{agreement.pk}/transitions/", {"name": "withdraw", "comment": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "program office" in response.json()["detail"]


def test_unknown_transition_name_is_a_field_error(make_agreement, program_office):
    agreement = make_agreement(State.PROPOSAL)
    response = token_client(program_office).post(
        f"/api/v1/agreements/{agreement.pk}/transitions/", {"name": "launch"}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()["errors"]


@override_settings(MAX_UPLOAD_MB=1)
def test_an_oversized_upload_is_413(make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    big = SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))
    response = token_client(program_office).post(
        "/api/v1/documents/", {"agreement": agreement.pk, "kind": "draft_text", "file": big}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not agreement.documents.filter(original_name="big.pdf").exists()


def test_download_is_permission_checked_and_an_attachment(make_agreement, liaison, program_office):
    agreement = make_agreement(State.IN_FORCE, releasable_to_partners=True)
    releasable = agreement.documents.get(kind=DocumentKind.NEGOTIATED_TEXT)
    internal = agreement.documents.get(kind=DocumentKind.DRAFT_TEXT)
    response = token_client(liaison).get(f"/api/v1/documents/{releasable.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content).startswith(agreement.reference.encode())
    assert token_client(liaison).get(f"/api/v1/documents/{internal.pk}/download/").status_code == 404
    assert token_client(program_office).get(f"/api/v1/documents/{internal.pk}/download/").status_code == 200


def test_coordinator_records_a_position(make_agreement, coordinator):
    agreement = make_agreement(State.RAD_REVIEW)
    api = token_client(coordinator)
    mine = api.get("/api/v1/coordination-positions/?mine=true&open=true").json()["results"]
    assert [p["office"] for p in mine] == ["OGC"]
    url = f"/api/v1/coordination-positions/{mine[0]['id']}/record/"
    assert api.post(url, {"status": "non_concur"}, format="json").json()["errors"] == {
        "comment": ["Say why: a non-concurrence needs a comment."]
    }
    done = api.post(url, {"status": "non_concur", "comment": "Liability clause."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "non_concur"
    assert TransitionLog.objects.filter(agreement=agreement, transition="position_recorded").exists()


def test_throttled_requests_are_429(program_office):
    cache.clear()
    api = token_client(program_office)
    with mock.patch.object(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"}):
        statuses = [api.get("/api/v1/me/").status_code for _ in range(3)]
        last = api.get("/api/v1/me/")
    cache.clear()
    assert statuses == [200, 200, 429]
    assert last.status_code == 429 and last.json()["code"] == "throttled"
    assert int(last["Retry-After"]) > 0


def test_a_position_past_its_silence_deadline_reads_concurred_by_silence(make_agreement, coordinator, reviewer):
    agreement = make_agreement(State.RAD_REVIEW)
    api = token_client(coordinator)
    mine = api.get("/api/v1/coordination-positions/?mine=true&open=true").json()["results"]
    assert (mine[0]["status"], mine[0]["effective_status"], mine[0]["status_label"]) == (
        "pending",
        "pending",
        "Awaiting position",
    )
    later = timezone.now() + dt.timedelta(days=60)
    with mock.patch("django.utils.timezone.now", return_value=later):
        position = api.get(f"/api/v1/coordination-positions/{mine[0]['id']}/").json()
        detail = token_client(reviewer).get(f"/api/v1/agreements/{agreement.pk}/").json()
    # The stored status stays "pending" until the sweep records it; the API says how it counts now.
    assert (position["status"], position["effective_status"], position["status_label"]) == (
        "pending",
        "silence",
        "Concurred by silence",
    )
    briefs = {p["office"]: p for p in detail["coordination"]["positions"]}
    assert briefs["OGC"]["status"] == "pending" and briefs["OGC"]["effective_status"] == "silence"
    assert briefs["OGC"]["status_label"] == "Concurred by silence"
