"""A broker that is down or hung costs a request little: the hand-over has a short timeout, and
after a failure requests leave relaying to the periodic sweep for a few seconds."""

from __future__ import annotations

import socket
import threading
import time
from unittest import mock

import pytest

from agreements.choices import State
from icp_portal.celery import app
from workflow import outbox
from workflow.models import OutboxMessage, RenderKind
from workflow.services import render_job_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hung_broker():
    """A TCP listener that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    old = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    yield
    app.conf.broker_url = old
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_hung_broker_costs_a_request_at_most_the_publish_timeout(
    make_agreement, program_office, hung_broker, settings
):
    settings.BROKER_PUBLISH_TIMEOUT = 0.5
    settings.BROKER_PUBLISH_PAUSE_SECONDS = 30
    outbox._publish_paused_until = 0.0
    agreement = make_agreement(State.SSOI_DRAFTING)
    started = time.monotonic()
    first = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    first_cost = time.monotonic() - started
    message = OutboxMessage.objects.get(kwargs={"job_id": first.pk})
    assert first_cost < 1.5 and message.dispatched_at is None and message.attempts == 1

    with mock.patch.object(outbox, "_publish") as publish:
        started = time.monotonic()
        render_job_request(kind=RenderKind.SUMMARY, agreement=agreement, user=program_office)
        assert time.monotonic() - started < 0.5
        publish.assert_not_called()  # paused: the sweep relays it
        assert outbox.outbox_relay_pending() == 2  # the sweep ignores the pause
    outbox._publish_paused_until = 0.0
