"""The browser's import batches at scale: a large file is checked by the worker, its progress
moves while rows are checked and then while they are written (on the import's own connection and
on the second connection PostgreSQL writes it through), and the sweep hands the worker again a
batch whose message the broker lost or whose worker died."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement
from workflow import imports
from workflow.models import ImportBatch, ImportStatus, OutboxMessage

from .test_imports import _csv, _valid_rows

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def small_steps(monkeypatch):
    """Five rows are "large", a report every two rows checked, and no pause between writes."""
    monkeypatch.setattr(imports.batches, "IMPORT_INLINE_ROWS", 5)
    monkeypatch.setattr(imports.service, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(imports.batches, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(imports.service, "WRITE_CHUNK", 4)


class Observed(list):
    """What the batch's row says after each progress write: read on the test's connection, or
    (``other_connection``) on a connection of its own, as another web request would."""

    other_connection = None

    def read(self, batch_id: int) -> None:
        sql = "SELECT status, phase, processed_rows, phase_rows FROM workflow_importbatch WHERE id = %s"
        with (self.other_connection or connection).cursor() as cursor:
            cursor.execute(sql, [batch_id])
            self.append(cursor.fetchone())


@pytest.fixture
def observed(monkeypatch):
    seen = Observed()
    write = imports.batches._ProgressWriter.__call__

    def spy(self, phase, done, total):
        write(self, phase, done, total)
        seen.read(self.batch_id)

    monkeypatch.setattr(imports.batches._ProgressWriter, "__call__", spy)
    yield seen
    if seen.other_connection is not None:
        seen.other_connection.close()


def _counts(seen, phase):
    return [(done, total) for _status, p, done, total in seen if p == phase]


def test_progress_moves_while_checking_then_while_writing(reviewer, small_steps, observed):
    batch = imports.import_batch_preview(user=reviewer, content=_csv(_valid_rows(12)), filename="big.csv")
    page = client_for(reviewer)
    pages = []
    write = imports.batches._ProgressWriter.__call__

    imports.import_batch_check(batch_id=batch.pk)
    checked = _counts(observed, "checking")
    assert checked[0] == (0, 12) and checked[-1] == (12, 12)
    assert [done for done, _ in checked] == sorted({done for done, _ in checked}) and len(checked) >= 6
    assert {s for s, *_ in observed} == {ImportStatus.CHECKING}
    observed.clear()

    imports.import_batch_start(batch=ImportBatch.objects.get(pk=batch.pk), user=reviewer, valid_only=False)

    def watching(self, phase, done, total):
        write(self, phase, done, total)
        pages.append(page.get(reverse("import_progress", args=[batch.pk])).content.decode())

    imports.batches._ProgressWriter.__call__ = watching
    try:
        imports.import_batch_run(batch_id=batch.pk)
    finally:
        imports.batches._ProgressWriter.__call__ = write
    assert any("checking row 6 of 12" in html for html in pages)
    assert any("writing row 8 of 12" in html for html in pages)
    assert [p for p in pages if "writing row" in p] and pages.index(
        next(p for p in pages if "writing row" in p)
    ) > pages.index(next(p for p in pages if "checking row" in p))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and Agreement.objects.count() == 12


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_count_is_visible_while_the_import_transaction_is_open(reviewer, small_steps, observed):
    if connection.vendor != "postgresql":
        pytest.skip("the second connection is PostgreSQL's")
    batch = imports.import_batch_preview(user=reviewer, content=_csv(_valid_rows(12)), filename="big.csv")
    imports.import_batch_check(batch_id=batch.pk)
    imports.import_batch_start(batch=ImportBatch.objects.get(pk=batch.pk), user=reviewer, valid_only=False)
    observed.clear()
    observed.other_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    imports.import_batch_run(batch_id=batch.pk)
    # Read by another connection while the import's transaction was open: what the page polls.
    written = _counts(observed, "writing")
    assert written[0] == (0, 12) and (8, 12) in written and written[-1] == (12, 12)
    assert all(status == ImportStatus.RUNNING for status, *_ in observed)
    assert Agreement.objects.count() == 12


def test_a_lost_message_or_a_dead_worker_is_handed_over_again(reviewer, small_steps):
    later = timezone.now() + dt.timedelta(seconds=settings.IMPORT_QUEUED_STALE_SECONDS + 1)
    checking = imports.import_batch_preview(user=reviewer, content=_csv(_valid_rows(8)), filename="a.csv")
    assert imports.import_batches_requeue_stale(now=later) == 0  # its message still waits for the relay
    OutboxMessage.objects.update(dispatched_at=timezone.now())  # handed to a broker that then lost it
    assert imports.import_batches_requeue_stale() == 0  # not stale yet
    assert imports.import_batches_requeue_stale(now=later) == 1
    again = OutboxMessage.objects.filter(dispatched_at__isnull=True).get()
    assert again.task == imports.CHECK_TASK and again.kwargs == {"batch_id": checking.pk}
    assert imports.import_batches_requeue_stale(now=later) == 0  # the new message is the relay's
    imports.import_batch_check(batch_id=checking.pk)

    queued = imports.import_batch_start(batch=ImportBatch.objects.get(pk=checking.pk), user=reviewer, valid_only=False)
    assert queued.status == ImportStatus.QUEUED
    OutboxMessage.objects.update(dispatched_at=timezone.now())
    much_later = later + dt.timedelta(seconds=settings.IMPORT_QUEUED_STALE_SECONDS + 1)
    assert imports.import_batches_requeue_stale(now=much_later) == 1
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True, task=imports.IMPORT_TASK).count() == 1

    # The worker took it and died: after the task's time limit the batch is handed over again,
    # and the next run claims it and finishes it.
    OutboxMessage.objects.update(dispatched_at=timezone.now())
    started = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5)
    ImportBatch.objects.filter(pk=queued.pk).update(status=ImportStatus.RUNNING, started_at=started)
    assert imports.import_batches_requeue_stale(now=much_later) == 0  # just handed over
    assert imports.import_batches_requeue_stale(now=much_later + dt.timedelta(seconds=301)) == 1
    done = imports.import_batch_run(batch_id=queued.pk)
    assert done.status == ImportStatus.DONE and Agreement.objects.count() == 8
    assert imports.import_batches_requeue_stale(now=much_later + dt.timedelta(days=1)) == 0


def test_the_sweep_runs_on_the_beat_schedule():
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["workflow.tasks.import_batches_requeue_stale"] == settings.RENDER_SWEEP_SECONDS
    from workflow import tasks as task_module

    assert task_module.import_batches_requeue_stale.name == "workflow.tasks.import_batches_requeue_stale"
