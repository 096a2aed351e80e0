"""Renders hold no lock while WeasyPrint works, a render whose worker died is queued again within
minutes, and its user can retry it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from agreements.choices import DocumentKind, State
from agreements.models import Agreement, Document
from workflow import pdf
from workflow.models import OutboxMessage, RenderJob, RenderKind, RenderStatus
from workflow.services import render_job_request


@pytest.mark.django_db(transaction=True)
def test_the_render_does_not_hold_the_agreement_row_lock(make_agreement, program_office, monkeypatch):
    agreement = make_agreement(State.SSOI_DRAFTING)
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    seen: dict = {}
    real = pdf.html_to_pdf

    def lock_from_another_connection():
        from django.db import transaction

        try:
            with transaction.atomic():
                Agreement.objects.select_for_update(nowait=True).get(pk=agreement.pk)
            seen["locked_by_render"] = False
        except Exception as exc:  # LockNotAvailable: the render holds the row
            seen["locked_by_render"] = repr(exc)
        finally:
            connections.close_all()

    def spying_html_to_pdf(html, **kwargs):
        thread = threading.Thread(target=lock_from_another_connection)
        thread.start()
        thread.join(10)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf.rendering, "html_to_pdf", spying_html_to_pdf)
    pdf.render_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert seen == {"locked_by_render": False}
    assert Document.objects.filter(agreement=agreement, kind=DocumentKind.SSOI_PDF).count() == 1


@pytest.mark.django_db
def test_a_render_whose_worker_died_is_queued_again_and_can_be_retried(client, make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    OutboxMessage.objects.update(dispatched_at=timezone.now())
    RenderJob.objects.filter(pk=job.pk).update(status=RenderStatus.RENDERING, started_at=timezone.now(), attempts=1)
    job.refresh_from_db()
    assert not job.is_stuck
    assert pdf.render_jobs_requeue_stale() == 0  # it may still be rendering

    client.force_login(program_office)
    refused = client.post(reverse("render_retry", args=[job.pk]))
    assert refused.status_code == 409

    # The worker died: past the render's hard time limit nothing can still be rendering it.
    RenderJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(minutes=4))
    job.refresh_from_db()
    assert job.is_stuck
    status = client.get(reverse("render_status", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Stuck" in status and "render-retry" in status
    assert client.post(reverse("render_retry", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == RenderStatus.QUEUED and job.attempts == 0


@pytest.mark.django_db
def test_the_sweep_requeues_a_dead_render_once_and_a_lost_queued_message(make_agreement, program_office, settings):
    agreement = make_agreement(State.SSOI_DRAFTING)
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    OutboxMessage.objects.update(dispatched_at=timezone.now())
    RenderJob.objects.filter(pk=job.pk).update(
        status=RenderStatus.RENDERING,
        started_at=timezone.now() - dt.timedelta(seconds=settings.RENDER_STALE_SECONDS + 1),
    )
    assert pdf.render_jobs_requeue_stale() == 1
    job.refresh_from_db()
    assert job.status == RenderStatus.QUEUED
    waiting = OutboxMessage.objects.filter(kwargs={"job_id": job.pk}, dispatched_at__isnull=True)
    assert waiting.count() == 1
    assert pdf.render_jobs_requeue_stale() == 0  # the new message waits for the relay, not the sweep

    # The broker lost that message (restarted without persistence): handed over again later.
    later = timezone.now() + dt.timedelta(seconds=settings.RENDER_QUEUED_STALE_SECONDS + 1)
    waiting.update(dispatched_at=timezone.now())
    RenderJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert pdf.render_jobs_requeue_stale(now=later) == 1
