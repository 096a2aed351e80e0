"""Delivery that loses nothing: the outbox commits with the change (a rollback sends nothing),
a transition made while the broker is down commits and its PDF is produced once the broker is
back, and a worker killed mid-render leaves exactly one document once a fresh worker finishes."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import transaction

from agreements.choices import DocumentKind, State
from agreements.models import Document
from icp_portal.celery import app
from tests import factories
from workflow.models import OutboxMessage, RenderJob, RenderKind, RenderStatus
from workflow.services import agreement_transition, render_job_request
from workflow.tasks import outbox_relay

from .conftest import DEAD_BROKER_URL, broker_at, pdf_text, wait_for_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rolled_back_change_sends_nothing(make_agreement, program_office, redis_broker):
    agreement = make_agreement(State.SSOI_DRAFTING)
    with mock.patch.object(app, "send_task", wraps=app.send_task) as send_task:
        with pytest.raises(RuntimeError), transaction.atomic():
            render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
            assert OutboxMessage.objects.count() == 1  # written inside the transaction…
            raise RuntimeError("the change fails after the side effect was recorded")
        outbox_relay.apply()  # …and the sweep finds nothing to relay either
    send_task.assert_not_called()
    assert not RenderJob.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_committed_change_is_relayed_once(make_agreement, program_office, redis_broker):
    agreement = make_agreement(State.SSOI_DRAFTING)
    with mock.patch.object(app, "send_task") as send_task:
        job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
        outbox_relay.apply()
        outbox_relay.apply()
    send_task.assert_called_once()
    args, kwargs = send_task.call_args
    assert args == ("workflow.tasks.render_job_run",)
    assert kwargs["kwargs"] == {"job_id": job.pk} and kwargs["retry"] is False
    assert OutboxMessage.objects.get().dispatched_at is not None


def test_a_transition_made_while_the_broker_is_down_renders_once_it_is_back(
    make_agreement, program_office, start_worker
):
    agreement = make_agreement(State.SSOI_DRAFTING, title="Agreement Submitted During An Outage")
    factories.fill_ssoi(agreement, program_office)
    factories.DocumentFactory(agreement=agreement, user=program_office, kind=DocumentKind.DRAFT_TEXT)

    with broker_at(DEAD_BROKER_URL):
        started = time.monotonic()
        agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
        assert time.monotonic() - started < 3  # the user is not kept waiting by the dead broker
        assert outbox_relay.apply().get() == 0  # the beat sweep sees the broker down and relays nothing

    agreement.refresh_from_db()
    assert agreement.state == State.RAD_REVIEW  # the user's action succeeded
    job = RenderJob.objects.get(agreement=agreement, kind=RenderKind.SSOI)
    message = OutboxMessage.objects.get(kwargs={"job_id": job.pk})
    assert job.status == RenderStatus.QUEUED
    assert message.dispatched_at is None and message.attempts == 1 and "unreachable" in message.last_error

    worker = start_worker()
    assert outbox_relay.apply().get() == 1  # the broker is back: the minute's sweep relays it
    wait_for_job(job, worker=worker)
    message.refresh_from_db()
    assert message.dispatched_at is not None
    document = Document.objects.get(agreement=agreement, kind=DocumentKind.SSOI_PDF)
    with document.file.open("rb") as handle:
        assert "Agreement Submitted During An Outage" in pdf_text(handle.read())


def test_a_worker_killed_mid_render_leaves_exactly_one_document(make_agreement, program_office, start_worker):
    agreement = make_agreement(State.SSOI_DRAFTING)
    slow = start_worker(RENDER_TEST_DELAY_SECONDS="60")
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)

    wait_for_job(job, status=RenderStatus.RENDERING, worker=slow)
    slow.wait_for_log("sleeping mid-render", timeout=20)
    slow.kill()  # SIGKILL: the message was never acknowledged
    job.refresh_from_db()
    assert job.status == RenderStatus.RENDERING and job.attempts == 1
    assert not Document.objects.filter(agreement=agreement).exclude(kind=DocumentKind.DRAFT_TEXT).exists()

    # A fresh worker gets the unacknowledged message back once its visibility timeout (shortened
    # here from an hour to two seconds) has passed since the killed worker took it.
    time.sleep(3)
    fresh = start_worker(CELERY_VISIBILITY_TIMEOUT="2")
    wait_for_job(job, timeout=90, worker=fresh)
    assert job.attempts == 2
    assert Document.objects.filter(agreement=agreement, kind=DocumentKind.SSOI_PDF).count() == 1
    assert job.document.version == 1

    # Delivered once more (e.g. a second redelivery): still one document.
    fresh_run = app.send_task("workflow.tasks.render_job_run", kwargs={"job_id": job.pk})
    assert fresh_run.id
    fresh.wait_for_log(f"Task workflow.tasks.render_job_run[{fresh_run.id}] succeeded", timeout=30)
    assert Document.objects.filter(agreement=agreement, kind=DocumentKind.SSOI_PDF).count() == 1
