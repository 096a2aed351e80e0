"""Reminders and the daily digest: every clock of the lifecycle reminds the right people once,
and each person gets one e-mail a day however often the sweep runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from partners.models import User
from workflow import emails, reminders
from workflow.models import (
    CoordinationPosition,
    CoordinationRound,
    EmailDigest,
    EmailStatus,
    Notification,
    OutboundEmail,
    PositionStatus,
    ReportingObligation,
)
from workflow.tasks import EmailsNotDelivered, lifecycle_sweeps, reminders_run

pytestmark = pytest.mark.django_db


def _positions(agreement) -> list[CoordinationPosition]:
    return list(CoordinationRound.objects.current_for(agreement).positions.select_related("office"))


def _mails_to(user: User) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def test_a_silence_reminder_sweep_run_three_times_sends_one_digest(make_agreement, coordinator):
    agreement = make_agreement(State.RAD_REVIEW)
    CoordinationPosition.objects.filter(round__agreement=agreement).update(due_at=timezone.now() + dt.timedelta(days=3))
    Notification.objects.all().delete()
    mail.outbox.clear()

    for _ in range(3):
        reminders_run.apply()

    reminders_for_me = Notification.objects.filter(user=coordinator, kind="silence_reminder")
    assert reminders_for_me.count() == 1
    assert "General Counsel" in reminders_for_me.get().message and "deemed to concur" in reminders_for_me.get().message
    mine = _mails_to(coordinator)
    assert len(mine) == 1
    assert agreement.reference in mine[0].body and "deemed to concur" in mine[0].body
    assert "CUI" in mine[0].body and mine[0].alternatives  # marking, and an HTML part
    assert reminders_for_me.get().emailed_at is not None
    assert EmailDigest.objects.get(user=coordinator).item_count == 1
    # Each person got exactly one message, whatever the number of items.
    recipients = [address for m in mail.outbox for address in m.to]
    assert len(recipients) == len(set(recipients))


def test_reminders_outside_the_window_wait_and_new_items_go_in_the_next_days_digest(make_agreement, coordinator):
    agreement = make_agreement(State.RAD_REVIEW)
    due = timezone.now() + dt.timedelta(days=10)
    CoordinationPosition.objects.filter(round__agreement=agreement).update(due_at=due)
    Notification.objects.all().delete()
    reminders.reminders_run()
    assert not Notification.objects.filter(kind="silence_reminder").exists()  # 10 days > 5 days

    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=6)
    reminders.reminders_run(now=later)
    reminders.reminders_run(now=later)
    assert Notification.objects.filter(user=coordinator, kind="silence_reminder").count() == 1
    assert len(_mails_to(coordinator)) == 1


def test_the_deemed_concurrence_sweep_runs_with_the_reminders(make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    CoordinationPosition.objects.filter(round__agreement=agreement).update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    result = lifecycle_sweeps.apply().get()
    assert result["concurred_by_silence"] == len(_positions(agreement))
    assert {p.status for p in _positions(agreement)} == {PositionStatus.CONCURRED_BY_SILENCE}
    assert lifecycle_sweeps.apply().get()["concurred_by_silence"] == 0


def test_stalled_stage_reminds_program_office_and_reviewers_once(make_agreement, program_office, reviewer):
    agreement = make_agreement(State.RAD_REVIEW)
    Agreement.objects.filter(pk=agreement.pk).update(state_changed_at=timezone.now() - dt.timedelta(days=46))
    for _ in range(2):
        reminders.stalled_stage_reminders_send()
    for user in (program_office, reviewer):
        note = Notification.objects.get(user=user, kind="stalled_stage")
        assert "RAD review for 46 days" in note.message and "45 days" in note.message
    fresh = make_agreement(State.NEGOTIATION)
    reminders.stalled_stage_reminders_send()
    assert not Notification.objects.filter(kind="stalled_stage", agreement=fresh).exists()


@pytest.mark.parametrize(("days_left", "threshold"), [(170, 180), (90, 90), (12, 30)])
def test_expiry_warnings_at_180_90_and_30_days(make_agreement, program_office, days_left, threshold):
    agreement = make_agreement(State.IN_FORCE)
    Agreement.objects.filter(pk=agreement.pk).update(
        expiration_date=timezone.localdate() + dt.timedelta(days=days_left)
    )
    reminders.expiry_warnings_send()
    reminders.expiry_warnings_send()
    note = Notification.objects.get(user=program_office, kind="expiry_warning")
    assert f"({threshold}-day warning)" in note.message and f"in {days_left} days" in note.message


def test_expiry_warnings_step_down_through_each_threshold(make_agreement, program_office):
    agreement = make_agreement(State.IN_FORCE)
    expires = timezone.localdate() + dt.timedelta(days=200)
    Agreement.objects.filter(pk=agreement.pk).update(expiration_date=expires)
    for days_before in (200, 180, 150, 90, 60, 30, 29):
        reminders.expiry_warnings_send(today=expires - dt.timedelta(days=days_before))
    messages = list(
        Notification.objects.filter(user=program_office, kind="expiry_warning").values_list("message", flat=True)
    )
    assert sorted(int(m.split("(")[1].split("-")[0]) for m in messages) == [30, 90, 180]


def test_obligations_due_and_overdue(make_agreement, program_office, reviewer):
    agreement = make_agreement(State.IN_FORCE)
    obligation = ReportingObligation.objects.get(agreement=agreement, kind="state_transmittal")
    today = timezone.localdate()
    reminders.obligation_reminders_send(today=obligation.due_date - dt.timedelta(days=10))
    assert not Notification.objects.filter(kind__startswith="obligation").exists()
    reminders.obligation_reminders_send(today=obligation.due_date - dt.timedelta(days=3))
    reminders.obligation_reminders_send(today=obligation.due_date - dt.timedelta(days=2))
    due = Notification.objects.get(user=program_office, kind="obligation_due")
    assert "is due by" in due.message and Notification.objects.filter(user=reviewer, kind="obligation_due").exists()
    reminders.obligation_reminders_send(today=obligation.due_date + dt.timedelta(days=1))
    reminders.obligation_reminders_send(today=obligation.due_date + dt.timedelta(days=5))
    assert Notification.objects.filter(user=program_office, kind="obligation_overdue").count() == 1
    ReportingObligation.objects.filter(pk=obligation.pk).update(completed_date=today)
    Notification.objects.all().delete()
    reminders.obligation_reminders_send(today=obligation.due_date + dt.timedelta(days=6))
    assert not Notification.objects.filter(agreement=agreement, message__contains="treaty office").exists()


def test_congressional_waits_that_ended_and_expiries_are_swept(make_agreement, program_office):
    waiting = make_agreement(State.CONGRESSIONAL_WAIT, partners=("IND",))
    Agreement.objects.filter(pk=waiting.pk).update(
        congressional_notice_date=timezone.localdate() - dt.timedelta(days=31)
    )
    expiring = make_agreement(State.IN_FORCE, effective_date=timezone.localdate() - dt.timedelta(days=400))
    Agreement.objects.filter(pk=expiring.pk).update(expiration_date=timezone.localdate())
    result = reminders.reminders_run()
    assert result["congressional_waits_ended"] == 1 and result["expired"] == 1
    waiting.refresh_from_db()
    expiring.refresh_from_db()
    assert waiting.state == State.APPROVED and expiring.state == State.EXPIRED
    assert Notification.objects.filter(user=program_office, agreement=expiring, message__contains="Expired").exists()


def test_read_notifications_and_people_without_email_get_no_mail(make_agreement, coordinator, program_office):
    make_agreement(State.RAD_REVIEW)
    User.objects.filter(pk=program_office.pk).update(email="")
    Notification.objects.filter(user=coordinator).update(read_at=timezone.now())
    mail.outbox.clear()
    reminders.digests_send()
    emails.emails_send_due()
    assert mail.outbox  # others got theirs
    assert _mails_to(coordinator) == []
    assert not any(m.to == [""] for m in mail.outbox)


def test_a_failed_send_is_retried_within_minutes_and_the_run_reports_it(make_agreement, reviewer, monkeypatch):
    make_agreement(State.RAD_REVIEW)
    mail.outbox.clear()

    def broken_send(self, fail_silently=False):
        raise OSError("SMTP server unreachable")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", broken_send)
        with pytest.raises(EmailsNotDelivered):  # an SMTP outage is never reported as success
            reminders_run.apply().get()
    assert EmailDigest.objects.filter(user=reviewer).exists()  # the digest is made once, in the outbox
    email = OutboundEmail.objects.get(to=[reviewer.email])
    assert email.status == EmailStatus.PENDING and "unreachable" in email.last_error and email.attempts == 1
    assert email.next_attempt_at <= timezone.now() + dt.timedelta(minutes=1)  # soon, not the next day
    assert _mails_to(reviewer) == []

    assert emails.emails_send_due()["sent"] == 0  # not due yet
    outcome = emails.emails_send_due(now=timezone.now() + dt.timedelta(seconds=31))
    assert outcome["sent"] >= 1
    mine = _mails_to(reviewer)
    assert len(mine) == 1 and mine[0].extra_headers["Message-ID"] == email.message_id
    reminders_run.apply().get()  # the next run sends nothing again
    assert len(_mails_to(reviewer)) == 1
