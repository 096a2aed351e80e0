"""What a partner liaison sees: partner-facing statuses only (no internal stage name, no duration,
no return or disapproval to infer), its own nation's contributions and the signatures, upcoming
milestones only, a Documents tab silent about internal documents, and the partner-safe summary PDF."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from agreements import services as agreement_services
from agreements.apps import partner_status_mapping_check
from agreements.choices import LegalAuthority, State
from agreements.models import Agreement
from agreements.partner_status import (
    PARTNER_STATUS_OF_STATE,
    PartnerStatus,
    check_mapping,
    partner_status,
    partner_steps,
)
from tests.api.conftest import token_client
from workflow import pdf
from workflow.models import RenderJob, RenderKind
from workflow.services import agreement_transition, render_job_request

pytestmark = pytest.mark.django_db

# Internal labels and values a partner must never read (those that double as partner-facing
# statuses, such as "In force" or "Expired", are not in the list).
INTERNAL_LABELS = (
    "Proposal",
    "SSOI drafting",
    "RAD review",
    "Negotiation",
    "RFA review",
    "Congressional wait",
    "Approved to conclude",
    "Signing",
    "Withdrawn",
    "Disapproved",
    "Return for revision",
    "Returned",
)
INTERNAL_VALUES = {
    "proposal",
    "ssoi_drafting",
    "rad_review",
    "negotiation",
    "rfa_review",
    "congressional_wait",
    "approved",
    "signing",
    "withdrawn",
    "disapproved",
}
DURATION = re.compile(r"\b\d+ days?\b|less than a day", re.IGNORECASE)
EVERY_STATE = [s for s in State.values]


def _agreement_in(make_agreement, state: str) -> Agreement:
    authority = LegalAuthority.AECA_27 if state == State.CONGRESSIONAL_WAIT else None
    return make_agreement(state, partners=("GBR",), releasable_to_partners=True, authority=authority)


def _visible_text(html: str) -> str:
    """The page as the liaison reads it (tags, scripts and attribute values removed)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _assert_partner_safe(html: str, where: str) -> None:
    text = _visible_text(html)
    for label in INTERNAL_LABELS:
        assert not re.search(rf"\b{re.escape(label)}\b", text), f"{label!r} shown on {where}"
    assert not DURATION.search(text), f"a duration ({DURATION.search(text).group(0)!r}) shown on {where}"


def _strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) | set(value) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


# --- the mapping -------------------------------------------------------------------------------------
def test_every_state_has_a_partner_facing_status():
    assert check_mapping(State.values) == []
    assert partner_status_mapping_check() == []
    assert partner_status("signed") == PartnerStatus.SIGNED  # the "signed, awaiting entry into force" state


def test_a_state_without_a_partner_status_fails_loudly(monkeypatch):
    monkeypatch.delitem(PARTNER_STATUS_OF_STATE, "rad_review")
    with pytest.raises(ImproperlyConfigured, match="'rad_review' has no partner-facing status"):
        partner_status(State.RAD_REVIEW)
    errors = partner_status_mapping_check()
    assert [e.id for e in errors] == ["agreements.E001"] and "rad_review" in errors[0].msg


def test_returns_and_disapprovals_cannot_be_read_from_the_status():
    assert partner_status(State.RAD_REVIEW) == partner_status(State.SSOI_DRAFTING)  # RAD return
    assert partner_status(State.RFA_REVIEW) == partner_status(State.NEGOTIATION)  # RFA return
    assert partner_status(State.CONGRESSIONAL_WAIT) == partner_status(State.NEGOTIATION)
    assert partner_status(State.DISAPPROVED) == partner_status(State.WITHDRAWN)
    labels = [step["label"] for step in partner_steps(State.RFA_REVIEW)]
    assert labels == ["In preparation", "Under U.S. review", "In negotiation", "Approved for signature", "In force"]
    assert all(step["days"] is None for step in partner_steps(State.IN_FORCE))
    assert partner_steps(State.DISAPPROVED) == []


# --- pages and API, in every state -------------------------------------------------------------------
@pytest.mark.parametrize("state", EVERY_STATE)
def test_liaison_pages_and_api_show_only_partner_statuses(state, make_agreement, client_for, liaison):
    agreement = _agreement_in(make_agreement, state)
    expected = partner_status(state).label
    client = client_for(liaison)
    for name in ("agreement_detail", "agreement_documents"):
        response = client.get(reverse(name, args=[agreement.reference]))
        assert response.status_code == 200
        html = response.content.decode()
        _assert_partner_safe(html, f"{name} ({state})")
        assert expected in html
    for url in (reverse("liaison_dashboard"), reverse("agreement_list")):
        html = client.get(url).content.decode()
        _assert_partner_safe(html, f"{url} ({state})")
        assert expected in html
    csv = client.get(reverse("agreement_export", args=["csv"])).getvalue().decode()
    assert expected in csv and not any(re.search(rf"\b{re.escape(label)}\b", csv) for label in INTERNAL_LABELS)
    panel = client.get(reverse("render_panel", args=[agreement.reference]), HTTP_HX_REQUEST="true")
    _assert_partner_safe(panel.content.decode(), f"PDF panel ({state})")

    api = token_client(liaison)
    for url in (
        f"/api/v1/agreements/{agreement.pk}/",
        "/api/v1/agreements/",
        f"/api/v1/agreements/{agreement.pk}/transitions/",
        "/api/v1/dashboard/",
        "/api/v1/audit-log/",
    ):
        body = api.get(url).json()
        leaked = _strings(body) & (INTERNAL_VALUES | set(INTERNAL_LABELS))
        assert not leaked, f"{url} ({state}) gives {leaked}"
        assert not DURATION.search(json.dumps(body)), url
    detail = api.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert detail["partner_status"] == partner_status(state).value and "state" not in detail
    assert "state_changed_at" not in detail
    # A DoD user still sees the internal state, and the partner status beside it.
    dod = token_client(agreement.action_officer).get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert dod["state"] == state and dod["partner_status"] == partner_status(state).value


def test_a_return_for_revision_changes_nothing_a_liaison_can_see(make_agreement, client_for, liaison, reviewer):
    agreement = _agreement_in(make_agreement, State.RAD_REVIEW)
    client = client_for(liaison)
    api = token_client(liaison)

    def snapshot():
        page = _visible_text(client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode())
        body = api.get(f"/api/v1/agreements/{agreement.pk}/").json()
        body.pop("updated_at")
        return page, body

    before = snapshot()
    agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment="Fix the SSOI.")
    assert agreement.state == State.SSOI_DRAFTING
    assert snapshot() == before


def test_a_liaison_cannot_filter_or_sort_by_internal_state(make_agreement, client_for, liaison):
    review = _agreement_in(make_agreement, State.RAD_REVIEW)
    negotiating = _agreement_in(make_agreement, State.NEGOTIATION)
    api = token_client(liaison)
    # ?state= is not a liaison's filter: it is ignored, so it reveals nothing.
    both = {row["reference"] for row in api.get("/api/v1/agreements/", {"state": "rad_review"}).json()["results"]}
    assert both == {review.reference, negotiating.reference}
    assert api.get("/api/v1/agreements/", {"ordering": "state_changed_at"}).status_code == 400
    only = api.get("/api/v1/agreements/", {"status": "under_us_review"}).json()["results"]
    assert [row["reference"] for row in only] == [review.reference]
    html = client_for(liaison).get(reverse("agreement_list"), {"status": "in_negotiation"}).content.decode()
    assert negotiating.reference in html and review.reference not in html
    assert 'name="status"' in html and 'name="state"' not in html and "Recently changed" not in html


# --- the liaison's agreement page ---------------------------------------------------------------------
def test_the_agreement_page_shows_own_contributions_and_signatures(make_agreement, client_for, liaison, partner):
    agreement = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), releasable_to_partners=True)
    html = client_for(liaison).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    uk = agreement.participants.get(partner__code="GBR")
    assert "Contributions of United Kingdom" in html and "Share of project costs" in html
    own = sum(c.amount_usd for c in uk.contributions.all())
    assert f"${own:,.0f}" in html
    france = agreement.participants.get(partner__code="FRA")
    assert f"${sum(c.amount_usd for c in france.contributions.all()):,.0f}" not in html  # not France's
    assert "U.S. share of project costs" not in html
    signatures = html[html.index('data-testid="signatures"') :]
    assert "Minister of Defence, United Kingdom" in signatures and "Under Secretary of Defense (A&amp;S)" in signatures
    assert timezone.localdate().isoformat() in signatures


def test_unsigned_parties_are_not_named_before_they_sign(make_agreement, client_for, liaison):
    agreement = make_agreement(State.APPROVED, partners=("GBR",), releasable_to_partners=True)
    uk = agreement.participants.get()
    agreement_services.participant_update(participant=uk, user=agreement.action_officer, signatory_name="Expected Name")
    html = client_for(liaison).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert "Expected Name" not in html and "Not signed yet" in html
    rows = token_client(liaison).get("/api/v1/participants/", {"agreement": agreement.pk}).json()["results"]
    assert [row["signatory_name"] for row in rows] == [""]
    dod = token_client(agreement.action_officer).get("/api/v1/participants/", {"agreement": agreement.pk}).json()
    assert dod["results"][0]["signatory_name"] == "Expected Name"


def test_next_milestones_skip_dates_already_past(make_agreement, client_for, liaison):
    today = timezone.localdate()
    past = make_agreement(
        State.NEGOTIATION,
        partners=("GBR",),
        releasable_to_partners=True,
        effective_date=today - dt.timedelta(days=30),
    )
    Agreement.objects.filter(pk=past.pk).update(expiration_date=today + dt.timedelta(days=400))
    html = client_for(liaison).get(reverse("liaison_dashboard")).content.decode()
    milestones = html[html.index("Next milestones") : html.index("Signed and in force")]
    assert (today - dt.timedelta(days=30)).isoformat() not in milestones
    assert (today + dt.timedelta(days=400)).isoformat() in milestones


def test_the_documents_tab_says_nothing_about_internal_documents(make_agreement, client_for, liaison):
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR",), releasable_to_partners=True)
    client = client_for(liaison)
    page = client.get(reverse("agreement_documents", args=[agreement.reference])).content.decode()
    panel = client.get(reverse("render_panel", args=[agreement.reference]), HTTP_HX_REQUEST="true").content.decode()
    for html in (page, panel):
        assert "SSOI" not in html and "Agreement summary (PDF)" not in html and "internal" not in html.lower()
    assert "Partner summary" in panel


# --- the partner summary PDF ----------------------------------------------------------------------------
def test_liaisons_download_only_the_partner_summary(make_agreement, client_for, liaison, reviewer, program_office):
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR",), releasable_to_partners=True)
    agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment="SECRET-RETURN-1")
    agreement_services.agreement_update(agreement=agreement, user=program_office, internal_notes="SECRET-NOTE-2")
    client = client_for(liaison)
    # The internal PDFs are refused; the partner summary is offered.
    refused = client.post(reverse("render_request", args=[agreement.reference, "summary"]))
    assert refused.status_code == 403
    assert client.post(reverse("render_request", args=[agreement.reference, "partner-summary"])).status_code == 302
    job = RenderJob.objects.get(kind=RenderKind.PARTNER_SUMMARY, requested_by=liaison)
    pdf.render_job_run(job_id=job.pk)
    download = client.get(reverse("render_download", args=[job.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(content)).pages)
    assert "Agreement summary for partners" in text and "Under U.S. review" in text
    assert "Contributions of United Kingdom" in text
    for secret in ("SECRET-RETURN-1", "SECRET-NOTE-2", "Lifecycle timeline", "Coordination", "RAD review"):
        assert secret not in text, secret
    assert not DURATION.search(text)
    # Another user's partner summary is not theirs to download.
    other = render_job_request(kind=RenderKind.PARTNER_SUMMARY, agreement=agreement, user=program_office)
    pdf.render_job_run(job_id=other.pk)
    assert client.get(reverse("render_download", args=[other.pk])).status_code == 404
    # The internal summary, rendered for the program office, never reaches the liaison.
    internal = render_job_request(kind=RenderKind.SUMMARY, agreement=agreement, user=program_office)
    pdf.render_job_run(job_id=internal.pk)
    assert client.get(reverse("render_download", args=[internal.pk])).status_code == 404
