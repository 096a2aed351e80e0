"""The browser doors to PDFs and notifications: who may ask, poll, download and retry."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from agreements.choices import State
from workflow import pdf
from workflow.models import Notification, OutboxMessage, RenderJob, RenderKind, RenderStatus
from workflow.services import render_job_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(make_agreement):
    return make_agreement(State.SSOI_DRAFTING, releasable_to_partners=True)


def test_asking_for_a_pdf_queues_a_job_and_returns_at_once(client, program_office, agreement):
    client.force_login(program_office)
    page = agreement_url = reverse("agreement_detail", args=[agreement.reference])
    response = client.post(reverse("render_request", args=[agreement.reference, "summary"]), {"next": page})
    assert response.status_code == 302 and response["Location"] == agreement_url
    job = RenderJob.objects.get(agreement=agreement, kind=RenderKind.SUMMARY)
    assert job.status == RenderStatus.QUEUED and job.requested_by == program_office
    assert OutboxMessage.objects.filter(kwargs={"job_id": job.pk}).exists()
    evil = client.post(reverse("render_request", args=[agreement.reference, "ssoi"]), {"next": "https://evil.example/"})
    assert evil["Location"] == reverse("render_panel", args=[agreement.reference])


@pytest.mark.parametrize("who", ["liaison", "other_liaison"])
def test_liaisons_cannot_ask_for_agreement_pdfs(client, request, agreement, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("render_request", args=[agreement.reference, "ssoi"]))
    assert response.status_code == (403 if who == "liaison" else 404)
    assert not RenderJob.objects.exists()


def test_unknown_kind_and_unknown_agreement_are_404(client, reviewer, agreement):
    client.force_login(reviewer)
    assert client.post(reverse("render_request", args=[agreement.reference, "poster"])).status_code == 404
    assert client.post(reverse("render_request", args=["ICP-1900-0001", "ssoi"])).status_code == 404
    assert client.get(reverse("render_request", args=[agreement.reference, "ssoi"])).status_code == 405


def test_status_polls_until_ready_then_offers_the_download(client, reviewer, program_office, agreement):
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    client.force_login(reviewer)
    polling = client.get(reverse("render_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert polling.status_code == 200
    assert b'hx-trigger="every 2s"' in polling.content and b"Queued" in polling.content

    pdf.render_job_run(job_id=job.pk)
    ready = client.get(reverse("render_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in ready.content and b"Download PDF (v1)" in ready.content
    download = client.get(reverse("render_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    full_page = client.get(reverse("render_status", args=[job.pk]))
    assert b"<html" in full_page.content and b"Download PDF" in full_page.content


def test_liaisons_never_see_internal_pdf_jobs(client, liaison, program_office, agreement):
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    pdf.render_job_run(job_id=job.pk)
    client.force_login(liaison)
    assert client.get(reverse("render_status", args=[job.pk])).status_code == 404
    assert client.get(reverse("render_download", args=[job.pk])).status_code == 404
    panel = client.get(reverse("render_panel", args=[agreement.reference]), HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and b"Download" not in panel.content
    # The liaison's panel offers only the partner summary; it does not even name the internal PDFs.
    assert b"Partner summary" in panel.content and b"SSOI" not in panel.content
    assert b"Agreement summary" not in panel.content and b"internal" not in panel.content


def test_the_panel_shows_buttons_and_the_latest_job(client, program_office, agreement):
    client.force_login(program_office)
    render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    panel = client.get(reverse("render_panel", args=[agreement.reference]), HTTP_HX_REQUEST="true")
    assert b'data-testid="generate-ssoi"' in panel.content and b'data-testid="generate-summary"' in panel.content
    assert b"Queued" in panel.content and b"Not generated yet" in panel.content
    assert b"<html" not in panel.content
    assert b"<html" in client.get(reverse("render_panel", args=[agreement.reference])).content


def test_a_failed_job_can_be_retried_once(client, program_office, agreement):
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    pdf.render_job_fail(job_id=job.pk, error="Rendering took too long and was stopped. Try again.")
    client.force_login(program_office)
    failed = client.get(reverse("render_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"Failed" in failed.content and b"took too long" in failed.content and b"render-retry" in failed.content

    assert client.post(reverse("render_retry", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == RenderStatus.QUEUED and job.attempts == 0
    assert OutboxMessage.objects.filter(dedupe_key=f"render:{job.pk}:retry:1").exists()
    again = client.post(reverse("render_retry", args=[job.pk]))
    assert again.status_code == 409 and b"Only a failed or stuck PDF can be retried" in again.content


def test_register_request_validates_the_date(client, reviewer, liaison, partner):
    client.force_login(reviewer)
    assert client.get(reverse("register_pdf")).status_code == 200
    bad = client.post(reverse("register_pdf"), {"as_of": "not-a-date"})
    assert bad.status_code == 400 and b"Enter a valid date" in bad.content
    future = client.post(reverse("register_pdf"), {"as_of": "2999-01-01"})
    assert future.status_code == 400 and b"choose a past date" in future.content
    assert (
        client.post(reverse("register_pdf"), {"as_of": "2026-01-01", "partner": partner("FRA").pk}).status_code == 302
    )
    assert RenderJob.objects.get(requested_by=reviewer).params == {
        "as_of": "2026-01-01",
        "partner_id": partner("FRA").pk,
    }

    client.force_login(liaison)
    fragment = client.get(reverse("register_pdf"), HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b'name="partner"' not in fragment.content
    client.post(reverse("register_pdf"), {"as_of": "2026-01-01", "partner": partner("FRA").pk})
    assert RenderJob.objects.get(requested_by=liaison).params == {"as_of": "2026-01-01"}  # own nation only


def test_notifications_list_and_mark_as_read(client, coordinator, other_liaison, make_agreement):
    make_agreement(State.RAD_REVIEW)
    client.force_login(coordinator)
    mine = Notification.objects.filter(user=coordinator)
    assert mine.exists()
    page = client.get(reverse("notifications"))
    assert page.status_code == 200 and escape(mine.first().message).encode() in page.content
    one = mine.first()
    assert client.post(reverse("notifications"), {"notification": one.pk}).status_code == 302
    one.refresh_from_db()
    assert one.read_at is not None
    assert client.post(reverse("notifications"), {"notification": "x"}).status_code == 400
    client.post(reverse("notifications"))
    assert not mine.filter(read_at__isnull=True).exists()
    # Someone else's notification id changes nothing.
    client.force_login(other_liaison)
    Notification.objects.filter(pk=one.pk).update(read_at=None)
    client.post(reverse("notifications"), {"notification": one.pk})
    one.refresh_from_db()
    assert one.read_at is None


def test_anonymous_users_are_sent_to_sign_in(client, agreement):
    for url in (reverse("render_panel", args=[agreement.reference]), reverse("notifications"), reverse("register_pdf")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
