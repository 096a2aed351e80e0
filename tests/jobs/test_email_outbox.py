"""The e-mail outbox: one row per message with a stable Message-ID, sent outside any transaction,
marked sent only after the server's acceptance, retried soon and a bounded number of times."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from agreements.choices import State
from workflow import emails, reminders
from workflow.models import EmailDigest, EmailStatus, OutboundEmail

pytestmark = pytest.mark.django_db


def _later(seconds: int = 3600) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_digest_is_one_outbox_row_with_a_stable_message_id(make_agreement, coordinator):
    make_agreement(State.RAD_REVIEW)
    mail.outbox.clear()
    queued = reminders.digests_send()
    assert queued >= 1
    assert reminders.digests_send() == 0  # composed once a day, however often the sweep runs
    email = OutboundEmail.objects.get(to=[coordinator.email])
    assert email.message_id.startswith("<") and email.message_id.endswith("@icp-portal.invalid>")
    assert EmailDigest.objects.filter(user=coordinator).count() == 1
    assert mail.outbox == []  # nothing is sent while the digest is composed

    assert emails.email_send(email_id=email.pk) == "sent"
    assert emails.email_send(email_id=email.pk) == "skipped"  # never twice
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.sent_at is not None and email.attempts == 1
    sent = [m for m in mail.outbox if m.to == [coordinator.email]]
    assert len(sent) == 1 and sent[0].extra_headers["Message-ID"] == email.message_id


def test_a_lost_acknowledgement_resends_the_same_message_id(make_agreement, coordinator, monkeypatch):
    make_agreement(State.RAD_REVIEW)
    reminders.digests_send()
    mail.outbox.clear()
    email = OutboundEmail.objects.get(to=[coordinator.email])
    real_send = mail.EmailMultiAlternatives.send

    def delivered_but_unacknowledged(self, fail_silently=False):
        real_send(self, fail_silently)  # the server has the message…
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")  # …and drops before its 250

    with monkeypatch.context() as patch:
        patch.setattr(mail.EmailMultiAlternatives, "send", delivered_but_unacknowledged)
        assert emails.email_send(email_id=email.pk) == "retry"
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING and "SMTPServerDisconnected" in email.last_error
    assert emails.emails_send_due(now=_later(60))["sent"] >= 1
    copies = [m for m in mail.outbox if m.to == [coordinator.email]]
    assert len(copies) == 2  # the one case a resend is allowed…
    assert {m.extra_headers["Message-ID"] for m in copies} == {email.message_id}  # …with one Message-ID


def test_retries_are_bounded(make_agreement, coordinator, settings, monkeypatch):
    settings.EMAIL_MAX_ATTEMPTS = 3
    make_agreement(State.RAD_REVIEW)
    reminders.digests_send()
    email = OutboundEmail.objects.get(to=[coordinator.email])
    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", lambda self, fail_silently=False: 0)
    outcomes = [emails.email_send(email_id=email.pk)]
    for hours in (1, 2, 3, 4):
        emails.emails_send_due(now=_later(hours * 3600))
        email.refresh_from_db()
        outcomes.append(email.status)
    assert outcomes[0] == "retry"
    assert email.status == EmailStatus.FAILED and email.attempts == 3


def test_a_message_claimed_by_one_worker_is_not_sent_by_another(make_agreement, coordinator):
    make_agreement(State.RAD_REVIEW)
    reminders.digests_send()
    email = OutboundEmail.objects.get(to=[coordinator.email])
    assert emails.email_claim(email_id=email.pk) is True
    assert emails.email_claim(email_id=email.pk) is False
    assert emails.email_send(email_id=email.pk) == "skipped"
    # Its sender died: once the lease has run out, another worker sends it.
    assert emails.email_claim(email_id=email.pk, now=_later()) is True


def test_sending_inside_a_transaction_is_refused(make_agreement, coordinator):
    make_agreement(State.RAD_REVIEW)
    reminders.digests_send()
    email = OutboundEmail.objects.get(to=[coordinator.email])
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        emails.email_send(email_id=email.pk)
