"""The review queue and positions due read two derived columns: the agreement's earliest awaited
deadline (``Agreement.awaited_deadline``) and whether a position's round is open
(``CoordinationPosition.round_open``). Every door that opens or closes a round or changes a
position keeps them true, a save of an old copy never puts an old deadline back, and both pages
give exactly the rows, in exactly the order, of their definitions computed here in Python."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import REVIEW_STATES, State
from agreements.models import Agreement
from partners.models import CoordinatingOffice
from workflow import services
from workflow.imports import agreements_import
from workflow.models import AWAITED_POSITION_STATUSES, CoordinationPosition, CoordinationRound, PositionStatus
from workflow.selectors import positions_due_for, review_queue_for

pytestmark = pytest.mark.django_db


# --- the definitions, computed row by row ----------------------------------------------------------
def _earliest_awaited(agreement: Agreement) -> dt.datetime | None:
    """The earliest deadline of a position still awaited in the agreement's open round."""
    positions = CoordinationPosition.objects.filter(round__agreement=agreement, round__closed_at__isnull=True)
    return min((p.due_at for p in positions if p.status in AWAITED_POSITION_STATUSES), default=None)


def _assert_derived_columns_true() -> None:
    for agreement in Agreement.objects.all():
        assert agreement.awaited_deadline == _earliest_awaited(agreement), agreement.reference
    for position in CoordinationPosition.objects.select_related("round"):
        assert position.round_open == (position.round.closed_at is None), position.pk


def _queue_in_python(now: dt.datetime) -> list[tuple]:
    """The review queue's order, by its definition: needing attention (stalled, or an awaited
    position past its deadline) first, then the nearest awaited deadline (none last), then the
    longest in review, then the id."""
    rows = []
    for agreement in Agreement.objects.filter(state__in=REVIEW_STATES):
        nearest = _earliest_awaited(agreement)
        limit = settings.STALLED_STAGE_DAYS.get(agreement.state)
        stalled = limit is not None and agreement.state_changed_at < now - dt.timedelta(days=limit)
        passed = nearest is not None and nearest <= now
        rows.append((agreement.pk, stalled, passed, stalled or passed, nearest, agreement.state_changed_at))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: (not r[3], r[4] is None, r[4] or far, r[5], r[0]))


def _positions_due_in_python(office_id: int, now: dt.datetime) -> list[int]:
    rows = [
        p
        for p in CoordinationPosition.objects.select_related("round").filter(office_id=office_id)
        if p.round.closed_at is None
        and p.status != PositionStatus.CONCURRED_BY_SILENCE
        and not (p.status in AWAITED_POSITION_STATUSES and p.due_at <= now)
    ]
    return [p.pk for p in sorted(rows, key=lambda p: (p.due_at, p.pk))]


def _round(agreement: Agreement) -> CoordinationRound:
    return CoordinationRound.objects.current_for(agreement)


def _record(agreement, coordinator, status, comment=""):
    position = _round(agreement).positions.get(office=coordinator.coordinating_office)
    services.coordination_position_record(position=position, user=coordinator, status=status, comment=comment)


# --- every door keeps the derived columns true ------------------------------------------------------
def test_every_coordination_door_keeps_the_derived_columns_true(make_agreement, reviewer, coordinators):
    first, second = coordinators[0], coordinators[1]
    # A round opens (submit for RAD review): every office awaited, all due together.
    agreement = make_agreement(State.RAD_REVIEW)
    other = make_agreement(State.RFA_REVIEW)
    _assert_derived_columns_true()
    assert agreement.awaited_deadline is not None
    # A position recorded: a concurrence settles it, a comment does not, a revision can reopen it.
    _record(agreement, first, PositionStatus.CONCUR)
    _assert_derived_columns_true()
    _record(agreement, second, PositionStatus.COMMENT, "A remark.")
    _assert_derived_columns_true()
    # The reviewer changes the offices: one added later (a later deadline), one still pending removed.
    late = CoordinatingOffice.objects.create(code="LATE", name="Late Office", coordinates_by_default=False)
    current = [p.office for p in _round(agreement).positions.select_related("office")]
    pending = [p.office for p in _round(agreement).positions.filter(status=PositionStatus.PENDING)]
    kept = [o for o in current if o != pending[0]] + [late]
    services.coordination_offices_set(agreement=agreement, user=reviewer, offices=kept)
    _assert_derived_columns_true()
    # Every office but the late one answers: the late office's deadline is the nearest.
    for coordinator in coordinators:
        office = coordinator.coordinating_office
        if office in kept and office.pk != first.coordinating_office_id:
            _record(agreement, coordinator, PositionStatus.CONCUR)
    _assert_derived_columns_true()
    late_due = _round(agreement).positions.get(office=late).due_at
    assert Agreement.objects.get(pk=agreement.pk).awaited_deadline == late_due
    # The silence sweep past every deadline: nothing awaited any more.
    services.silence_sweep(now=timezone.now() + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS + 30))
    _assert_derived_columns_true()
    assert Agreement.objects.get(pk=agreement.pk).awaited_deadline is None
    # The round closes (returned for revision): its positions are no longer open.
    services.agreement_transition(agreement=other, name="return_for_revision", user=reviewer, comment="Redo it.")
    _assert_derived_columns_true()
    assert other.awaited_deadline is None
    assert not CoordinationPosition.objects.filter(round__agreement=other, round_open=True).exists()
    # A decision closes the round (offices silent past their deadline are swept first).
    services.agreement_transition(agreement=agreement, name="authorize_negotiation", user=reviewer)
    _assert_derived_columns_true()


def test_an_import_under_review_opens_its_round_with_its_deadline(reviewer):
    from tests.workflow.test_imports import _csv, _valid_rows

    result = agreements_import(content=_csv(_valid_rows(10)), filename="legacy.csv", user=reviewer, dry_run=False)
    assert result.committed
    assert Agreement.objects.filter(state__in=REVIEW_STATES, awaited_deadline__isnull=False).exists()
    _assert_derived_columns_true()


def test_saving_an_old_copy_never_puts_back_an_old_deadline(make_agreement, coordinators):
    agreement = make_agreement(State.RAD_REVIEW)
    stale = Agreement.objects.get(pk=agreement.pk)
    for coordinator in coordinators:
        _record(agreement, coordinator, PositionStatus.CONCUR)
    assert Agreement.objects.get(pk=agreement.pk).awaited_deadline is None
    stale.internal_notes = "Edited on a copy read before the offices answered."
    stale.save()
    saved = Agreement.objects.get(pk=agreement.pk)
    assert saved.internal_notes == stale.internal_notes and saved.awaited_deadline is None


# --- the pages give the rows and the order of the definitions ----------------------------------------
@pytest.fixture
def mixed(make_agreement, reviewer, coordinators):
    """Agreements in review of every kind the order tells apart: stalled with and without an open
    round, an office past its deadline, offices answered (no awaited deadline), a comment only,
    ties on the deadline and on the time in review, and agreements outside review."""
    now = timezone.now()
    limit = settings.STALLED_STAGE_DAYS[State.RAD_REVIEW]
    made = [make_agreement(State.RAD_REVIEW) for _ in range(7)] + [make_agreement(State.RFA_REVIEW) for _ in range(2)]
    make_agreement(State.NEGOTIATION)
    make_agreement(State.IN_FORCE)
    stalled, passed, answered, commented, tie_a, tie_b, no_round, rfa_passed, rfa_fresh = made
    since = {
        stalled: now - dt.timedelta(days=limit + 3),
        no_round: now - dt.timedelta(days=limit + 1),
        passed: now - dt.timedelta(days=5),
        tie_a: now - dt.timedelta(days=2),
        tie_b: now - dt.timedelta(days=2),
    }
    for agreement, at in since.items():
        Agreement.objects.filter(pk=agreement.pk).update(state_changed_at=at)
    # An office past its deadline (the sweep has not run), in RAD and in RFA review.
    for agreement in (passed, rfa_passed):
        position = _round(agreement).positions.order_by("pk").first()
        CoordinationPosition.objects.filter(pk=position.pk).update(due_at=now - dt.timedelta(hours=1))
    # Ties: the same deadline for two agreements in review the same time.
    CoordinationPosition.objects.filter(round__agreement__in=[tie_a, tie_b]).update(due_at=now + dt.timedelta(days=9))
    # Positions are moved directly above: their agreements' deadlines are refreshed as a service would.
    services.awaited_deadlines_refresh([passed.pk, rfa_passed.pk, tie_a.pk, tie_b.pk])
    for coordinator in coordinators:
        _record(answered, coordinator, PositionStatus.CONCUR)
        _record(commented, coordinator, PositionStatus.COMMENT, "Only a remark.")
    # A queued agreement without an open round (a round closed outside the services' usual path).
    CoordinationRound.objects.filter(agreement=no_round).delete()
    services.awaited_deadlines_refresh([no_round.pk])
    return now


def test_the_review_queue_is_the_definitions_order(mixed, reviewer, django_assert_max_num_queries):
    now = mixed
    expected = _queue_in_python(now)
    with django_assert_max_num_queries(1):
        rows = list(review_queue_for(reviewer, now=now))
    got = [
        (a.pk, a.stalled, a.deadline_passed, a.needs_attention, a.nearest_deadline, a.state_changed_at) for a in rows
    ]
    assert got == expected
    # The mixture really is mixed: stalled, past a deadline, neither, and no deadline at all.
    assert {r[1] for r in expected} == {True, False} and {r[2] for r in expected} == {True, False}
    assert any(r[4] is None for r in expected) and any(r[3] for r in expected) and not all(r[3] for r in expected)


def test_the_review_queue_page_shows_every_page_in_the_definitions_order(
    mixed, reviewer, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("workflow.views.queues.QUEUE_PAGE_SIZE", 4)
    references = dict(Agreement.objects.values_list("pk", "reference"))
    expected = [references[r[0]] for r in _queue_in_python(mixed)]
    client = Client()
    client.force_login(reviewer)
    shown = []
    for number in (1, 2, 3):
        with django_assert_max_num_queries(12):
            page = client.get(reverse("review_queue"), {"page": number}).content.decode()
        found = [(page.index(ref), ref) for ref in expected if ref in page]
        shown += [ref for _, ref in sorted(found, key=itemgetter(0))]
    assert shown == expected


def test_positions_due_are_the_definitions_rows_in_order(mixed, coordinators, reviewer, make_agreement):
    # A closed round's pending position is not due; neither is one settled by silence.
    returned = make_agreement(State.RAD_REVIEW)
    services.agreement_transition(agreement=returned, name="return_for_revision", user=reviewer, comment="Redo.")
    services.silence_sweep(now=mixed)
    _assert_derived_columns_true()
    for coordinator in coordinators:
        expected = _positions_due_in_python(coordinator.coordinating_office_id, mixed)
        assert [p.pk for p in positions_due_for(coordinator, now=mixed).order_by("due_at", "pk")] == expected
        assert expected
