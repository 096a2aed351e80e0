"""Reviewers remind, from the review queue, the offices that have not answered, for several
agreements at once; each agreement gets its own audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


def test_the_queue_and_the_coordination_tab_share_one_reminder_rule(reviewer, coordinator, make_agreement):
    """One reminder a day per position whichever page sends it, and never to an office whose
    deadline has passed (it is deemed to concur)."""
    reminded, silent = make_agreement(State.RAD_REVIEW), make_agreement(State.RAD_REVIEW)
    position = reminded.coordination_rounds.get().positions.get(office=coordinator.coordinating_office)
    services.coordination_reminder_send(position=position, user=reviewer)
    past = silent.coordination_rounds.get().positions.all()
    past.update(due_at=timezone.now() - dt.timedelta(days=1))

    client = client_for(reviewer)
    page = client.post(
        reverse("review_queue_remind"), {"agreement": [reminded.reference, silent.reference]}, follow=True
    ).content.decode()
    bulk_logs = TransitionLog.objects.filter(transition="reminder_sent", agreement=reminded)
    assert all("DoD General Counsel" not in log.comment for log in bulk_logs)  # reminded on its tab today
    reminders = Notification.objects.filter(
        user=coordinator, agreement=reminded, kind__in=["position_reminder", "silence_reminder"]
    )
    assert reminders.count() == 1
    assert not TransitionLog.objects.filter(transition="reminder_sent", agreement=silent).exists()
    assert (
        not Notification.objects.filter(user=coordinator, agreement=silent).exclude(kind="position_requested").exists()
    )
    assert "every office has answered" in page
    with pytest.raises(ValidationError, match="reminded today already"):
        services.coordination_reminder_send(position=position, user=reviewer)
