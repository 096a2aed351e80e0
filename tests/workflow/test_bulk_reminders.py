"""Reviewers remind, from the review queue, the offices that have not answered, for several
agreements at once; each agreement gets its own audit row."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agreements.choices import State
from workflow import services
from workflow.models import Notification, PositionStatus, TransitionLog

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_bulk_reminders_are_sent_once_a_day_and_audited_per_agreement(
    reviewer, coordinator, program_office, make_agreement
):
    first, second = make_agreement(State.RAD_REVIEW), make_agreement(State.RFA_REVIEW)
    position = first.coordination_rounds.get().positions.get(office=coordinator.coordinating_office)
    services.coordination_position_record(position=position, user=coordinator, status=PositionStatus.CONCUR)
    client = client_for(reviewer)
    queue = client.get(reverse("review_queue")).content.decode()
    assert 'name="agreement"' in queue and "Remind the offices that have not answered" in queue

    response = client.post(reverse("review_queue_remind"), {"agreement": [first.reference, second.reference]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Reminders sent:" in page and first.reference in page and second.reference in page
    logs = TransitionLog.objects.filter(transition="reminder_sent")
    assert sorted(log.agreement_id for log in logs) == sorted([first.pk, second.pk])
    first_log = logs.get(agreement=first)
    assert first_log.user == reviewer and "DoD General Counsel" not in first_log.comment  # it had answered
    assert "DoD General Counsel" in logs.get(agreement=second).comment
    assert Notification.objects.filter(user=coordinator, kind="silence_reminder", agreement=second).count() == 1
    assert not Notification.objects.filter(user=coordinator, kind="silence_reminder", agreement=first).exists()

    again = client.post(reverse("review_queue_remind"), {"agreement": [first.reference]}, follow=True)
    assert "already reminded today" in again.content.decode()
    assert TransitionLog.objects.filter(transition="reminder_sent").count() == 2
    history = client.get(reverse("agreement_history", args=[second.reference])).content.decode()
    assert "Reminder sent to coordinating offices" in history

    assert (
        client_for(program_office).post(reverse("review_queue_remind"), {"agreement": [first.reference]}).status_code
        == 403
    )
    assert client.get(reverse("review_queue_remind")).status_code == 405
    empty = client.post(reverse("review_queue_remind"), {"agreement": ["ICP-1900-0001"]}, follow=True)
    assert "Tick at least one agreement under review." in empty.content.decode()
