"""Coordinators and reviewers: silence counts at once, reminders to offices that have not
answered, notifications that say which round and close with it. Everyone: notification links,
the unread count, the profile link. Documents: withdraw a wrong upload, keep it in the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import DocumentKind, State
from agreements.selectors import documents_visible_to
from tests import factories
from workflow import services
from workflow.models import CoordinationPosition, CoordinationRound, Notification, PositionStatus, TransitionLog
from workflow.selectors import positions_due_for

pytestmark = pytest.mark.django_db


def _position(agreement, coordinator) -> CoordinationPosition:
    return CoordinationRound.objects.current_for(agreement).positions.get(office=coordinator.coordinating_office)


def test_a_position_past_its_deadline_reads_concurred_by_silence_and_leaves_positions_due(
    client_for, coordinator, reviewer, make_agreement
):
    agreement = make_agreement(State.RAD_REVIEW)
    position = _position(agreement, coordinator)
    assert position in positions_due_for(coordinator)
    CoordinationPosition.objects.filter(pk=position.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert position not in positions_due_for(coordinator)
    position.refresh_from_db()
    assert position.status == PositionStatus.PENDING  # the sweep has not run
    page = client_for(reviewer).get(reverse("agreement_coordination", args=[agreement.reference])).content.decode()
    row = page[page.index(position.office.name) :][:400]
    assert "Concurred by silence" in row
    due = client_for(coordinator).get(reverse("positions_due")).content.decode()
    assert agreement.reference not in due


def test_position_request_names_the_round_and_agreement_and_closes_with_the_round(
    coordinator, reviewer, make_agreement
):
    agreement = make_agreement(State.RAD_REVIEW)
    note = Notification.objects.get(user=coordinator, kind="position_requested", agreement=agreement)
    assert agreement.reference in note.message and "RAD (authority to negotiate)" in note.message
    assert (agreement.short_title or agreement.title) in note.message
    assert note.read_at is None
    services.agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment="Redo.")
    note.refresh_from_db()
    assert note.read_at is not None


def test_reviewer_reminds_an_office_that_has_not_answered(client_for, reviewer, coordinator, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    position = _position(agreement, coordinator)
    url = reverse("agreement_coordination", args=[agreement.reference])
    client = client_for(reviewer)
    page = client.get(url).content.decode()
    assert "Not answered yet:" in page and position.office.name in page
    remind = reverse("position_remind", args=[agreement.reference, position.pk])
    response = client.post(remind, follow=True)
    assert response.status_code == 200
    assert f"Reminder sent to {position.office.name}" in response.content.decode()
    reminder = Notification.objects.get(user=coordinator, kind="position_reminder")
    assert agreement.reference in reminder.message and "RAD" in reminder.message
    log = TransitionLog.objects.get(agreement=agreement, transition="position_reminder_sent")
    assert log.user == reviewer and position.office.name in log.comment
    # Once a day per position.
    again = client.post(remind)
    assert again.status_code == 400 and "reminded today already" in again.content.decode()
    assert TransitionLog.objects.filter(transition="position_reminder_sent").count() == 1


def test_only_a_reviewer_reminds_and_not_after_an_answer(program_office, coordinator, reviewer, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    position = _position(agreement, coordinator)
    with pytest.raises(PermissionDenied):
        services.coordination_reminder_send(position=position, user=program_office)
    services.coordination_position_record(position=position, user=coordinator, status=PositionStatus.CONCUR)
    with pytest.raises(ValidationError, match="answered already"):
        services.coordination_reminder_send(position=position, user=reviewer)
    assert not Notification.objects.filter(kind="position_reminder").exists()


def test_notifications_link_to_their_page_and_the_header_counts_unread(client_for, coordinator, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    client = client_for(coordinator)
    page = client.get(reverse("notifications")).content.decode()
    coordination = reverse("agreement_coordination", args=[agreement.reference])
    assert f'<a href="{coordination}">' in page
    unread = Notification.objects.filter(user=coordinator, read_at__isnull=True).count()
    assert unread >= 1
    assert f'data-testid="unread-count">{unread}<' in page
    assert 'data-testid="profile-link"' in page and reverse("profile") in page
    client.post(reverse("notifications"))  # mark all as read
    assert 'data-testid="unread-count"' not in client.get(reverse("notifications")).content.decode()


def test_the_marking_banners_sit_in_landmarks(client_for, program_office):
    html = client_for(program_office).get(reverse("agreement_list")).content.decode()
    assert '<section class="portal-marking portal-marking--top" data-testid="marking-top" aria-label="Marking">' in html


def test_a_wrong_upload_is_withdrawn_and_stays_in_the_history(client_for, program_office, liaison, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING, releasable_to_partners=True)
    factories.DdlDecisionFactory(agreement=agreement)  # releasing a document needs the DDL approved
    document = agreement_services.document_upload(
        agreement=agreement,
        user=program_office,
        kind=DocumentKind.DRAFT_TEXT,
        content=b"wrong file",
        filename="wrong.txt",
        releasable_to_partners=True,
    )
    url = reverse("agreement_documents", args=[agreement.reference])
    client = client_for(program_office)
    withdraw = reverse("document_withdraw", args=[agreement.reference, document.pk])
    refused = client.post(withdraw, {"reason": " "})
    assert refused.status_code == 400 and "Say why the document is withdrawn." in refused.content.decode()
    response = client.post(withdraw, {"reason": "Wrong file."}, follow=True)
    html = response.content.decode()
    assert "is withdrawn; it stays in the history" in html and "Withdrawn " in html and "wrong.txt" in html
    document.refresh_from_db()
    assert document.withdrawn_by == program_office and not document.releasable_to_partners
    overview = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert "No draft text is attached." in overview  # a withdrawn text no longer counts
    assert "wrong.txt" not in client_for(liaison).get(url).content.decode()
    assert client.post(f"{url}x/withdraw/", {"reason": "r"}).status_code == 404
    # Replacing: the upload form comes pre-set to the kind.
    replace = client.get(url + "?kind=draft_text").content.decode()
    assert '<option value="draft_text" selected>' in replace


def test_signature_panel_after_the_first_signature(client_for, program_office, make_agreement):
    agreement = make_agreement(State.APPROVED, partners=("GBR", "FRA"))
    gbr = agreement.participants.get(partner__code="GBR")
    agreement_services.participant_update(participant=gbr, user=program_office, signatory_name="Rt Hon J. Smith")
    client = client_for(program_office)
    url = reverse("agreement_detail", args=[agreement.reference])
    assert 'data-testid="signature-panel"' not in client.get(url).content.decode()
    dialog = client.get(url).content.decode()
    assert 'data-signatory-name="Rt Hon J. Smith"' in dialog
    services.agreement_transition(
        agreement=agreement,
        name="record_signature",
        user=program_office,
        participant=None,
        signature_date=timezone.localdate(),
        signatory_name="Under Secretary",
    )
    html = client.get(url).content.decode()
    panel = html[html.index('data-testid="signature-panel"') :]
    assert "Signatures: 1 of 3" in panel and "United States" in panel and "Under Secretary" in panel
    assert "Outstanding" in panel and "Rt Hon J. Smith" in panel and "(expected)" in panel


def test_api_reminds_an_office_and_refuses_others(api, reviewer, coordinator, program_office, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    position = _position(agreement, coordinator)
    url = f"/api/v1/coordination-positions/{position.pk}/remind/"
    assert api(program_office).post(url).status_code == 403
    assert api(coordinator).post(url).status_code == 403
    response = api(reviewer).post(url)
    assert response.status_code == 200, response.content
    assert response.json() == {"position": position.pk, "office": position.office.name, "notified": 1}
    again = api(reviewer).post(url)
    assert again.status_code == 400 and "reminded today already" in again.content.decode()
    assert TransitionLog.objects.filter(agreement=agreement, transition="position_reminder_sent").count() == 1


def test_api_withdraws_a_document_and_hides_it_from_liaisons(api, program_office, reviewer, liaison, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING, releasable_to_partners=True)
    factories.DdlDecisionFactory(agreement=agreement)  # releasing a document needs the DDL approved
    document = agreement_services.document_upload(
        agreement=agreement,
        user=program_office,
        kind=DocumentKind.DRAFT_TEXT,
        content=b"wrong",
        filename="wrong.txt",
        releasable_to_partners=True,
    )
    url = f"/api/v1/documents/{document.pk}/withdraw/"
    assert document in documents_visible_to(liaison)
    assert api(reviewer).post(url, {"reason": "No."}, format="multipart").status_code == 403
    assert api(program_office).post(url, {}, format="multipart").status_code == 400
    response = api(program_office).post(url, {"reason": "Wrong file."}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["withdrawn_at"] and body["withdrawal_reason"] == "Wrong file." and not body["releasable_to_partners"]
    assert document not in documents_visible_to(liaison)
    again = api(program_office).post(url, {"reason": "Again."}, format="multipart")
    assert again.status_code == 400 and "withdrawn on" in again.content.decode()
