"""The browser's batches: a file is stored with its dry run, then imported. Small files are
checked and imported at once; large ones by the worker, the page showing how far it got (checking
row N of M, then writing row N of M). A sweep hands the worker again any batch whose message the
broker lost, or whose worker died."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from partners.models import User

from ..models import ImportBatch, ImportPhase, ImportStatus, OutboxMessage
from ..outbox import outbox_enqueue
from .reading import ImportFileError, read_rows
from .service import agreements_import, import_denial

logger = logging.getLogger(__name__)


# --- the browser's batches: preview, then import with progress ---------------------------------
IMPORT_INLINE_ROWS = 300  # larger files are checked and imported by the worker, the page showing progress
IMPORT_TASK = "workflow.tasks.import_batch_run"
CHECK_TASK = "workflow.tasks.import_batch_check"
PROGRESS_SECONDS = 0.5  # at most one progress write per this many seconds (and one per phase change)


def _file_name(filename: str) -> str:
    return (filename or "import").replace("\\", "/").rsplit("/", 1)[-1][:120]


def import_batch_preview(*, user: User, content: bytes, filename: str) -> ImportBatch:
    """Store the uploaded file with its dry run (nothing else is written). A file that cannot be
    read is refused at once (ImportFileError); a large one is checked by the worker (status
    CHECKING, the page polls its progress)."""
    if denial := import_denial(user):
        raise PermissionDenied(denial)
    name = _file_name(filename)
    rows, _ignored = read_rows(content, name)
    sha256 = hashlib.sha256(content).hexdigest()
    batch = ImportBatch(user=user, filename=name, sha256=sha256, total_rows=len(rows))
    if len(rows) <= IMPORT_INLINE_ROWS:
        result = agreements_import(content=content, filename=name, user=user, dry_run=True)
        batch.preview = result.as_dict()
        batch.status = ImportStatus.PREVIEWED
    else:
        batch.status = ImportStatus.CHECKING
        batch.phase, batch.phase_rows = ImportPhase.CHECKING, len(rows)
        batch.queued_at = timezone.now()
    # The file is stored before the row is written: no storage call inside the transaction.
    batch.file.save(f"{sha256[:16]}-{name}", ContentFile(content), save=False)
    with transaction.atomic():
        batch.save()
        if batch.status == ImportStatus.CHECKING:
            outbox_enqueue(task=CHECK_TASK, kwargs={"batch_id": batch.pk}, dedupe_key=f"import-check:{batch.pk}")
    return batch


def import_batch_start(*, batch: ImportBatch, user: User, valid_only: bool) -> ImportBatch:
    """Import a previewed file: small files at once, large ones by the worker (the page polls)."""
    if batch.user_id != user.pk:
        raise PermissionDenied("Only the person who uploaded the file may import it.")
    if denial := import_denial(user):
        raise PermissionDenied(denial)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.PREVIEWED:
            raise ValidationError(f"This file is {batch.get_status_display().lower()} already.")
        batch.status = ImportStatus.QUEUED
        batch.valid_only = valid_only
        batch.queued_at = timezone.now()
        batch.save(update_fields=["status", "valid_only", "queued_at"])
        if batch.total_rows > IMPORT_INLINE_ROWS:
            outbox_enqueue(task=IMPORT_TASK, kwargs={"batch_id": batch.pk}, dedupe_key=f"import:{batch.pk}")
    if batch.total_rows <= IMPORT_INLINE_ROWS:
        import_batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


class _ProgressWriter:
    """Writes how far a running batch got (phase, rows done, rows in the phase) where the page
    reads it: at most every PROGRESS_SECONDS, and at every change of phase and end of one.

    On PostgreSQL a second connection writes it, so it is visible while the import's own
    transaction is still open. Elsewhere (SQLite allows one writer at a time), or inside a
    caller's transaction (whose connection may hold the batch row), this connection writes it:
    checking progress is visible at once, and the writing phase shows its start until the
    import commits."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.side = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        self.phase: str | None = None
        self.written_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self.phase and done < total and now - self.written_at < PROGRESS_SECONDS:
            return
        self.phase, self.written_at = phase, now
        if self.side is not None:
            with self.side.cursor() as cursor:
                cursor.execute(
                    "UPDATE workflow_importbatch SET phase = %s, processed_rows = %s, phase_rows = %s WHERE id = %s",
                    [str(phase), done, total, self.batch_id],
                )
        else:
            ImportBatch.objects.filter(pk=self.batch_id).update(phase=phase, processed_rows=done, phase_rows=total)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _claim(batch_id: int, waiting: Q, running: Q, status: str) -> bool:
    """Take a batch for this run, in one statement (two deliveries of one message cannot both
    win): one that waits, or one whose run started longer ago than the task's time limit (its
    worker died and its transaction rolled back)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return bool(
        ImportBatch.objects.filter(pk=batch_id)
        .filter(waiting | (running & Q(started_at__lt=stale)))
        .update(status=status, started_at=now, phase=ImportPhase.CHECKING, processed_rows=0, phase_rows=0)
    )


def import_batch_check(*, batch_id: int) -> ImportBatch | None:
    """The worker's dry run of a large file (idempotent: a batch already checked is left alone)."""
    checking = Q(status=ImportStatus.CHECKING)
    if not _claim(batch_id, checking & Q(started_at__isnull=True), checking, ImportStatus.CHECKING):
        return None
    batch = ImportBatch.objects.select_related("user").get(pk=batch_id)
    progress = _ProgressWriter(batch_id)
    try:
        with batch.file.open("rb") as handle:
            content = handle.read()
        result = agreements_import(
            content=content, filename=batch.filename, user=batch.user, dry_run=True, progress=progress
        )
    except (ImportFileError, PermissionDenied) as exc:
        batch.status, batch.error = ImportStatus.FAILED, str(exc)
    except DatabaseError as exc:
        logger.exception("import batch %s could not be checked", batch_id)
        batch.status = ImportStatus.FAILED
        batch.error = f"The file could not be checked ({exc.__class__.__name__}). Upload it again."
    else:
        batch.preview = result.as_dict()
        batch.status = ImportStatus.PREVIEWED
        batch.total_rows = batch.processed_rows = batch.phase_rows = len(result.rows)
    finally:
        progress.close()
    batch.started_at = None  # the import, if asked for, starts its own clock
    batch.save(update_fields=["status", "error", "preview", "total_rows", "processed_rows", "phase_rows", "started_at"])
    return batch


def import_batch_run(*, batch_id: int) -> ImportBatch | None:
    """Run a queued import (idempotent: a batch already started is left alone)."""
    if not _claim(batch_id, Q(status=ImportStatus.QUEUED), Q(status=ImportStatus.RUNNING), ImportStatus.RUNNING):
        return None
    batch = ImportBatch.objects.select_related("user").get(pk=batch_id)
    progress = _ProgressWriter(batch_id)
    try:
        with batch.file.open("rb") as handle:
            content = handle.read()
        result = agreements_import(
            content=content,
            filename=batch.filename,
            user=batch.user,
            dry_run=False,
            valid_only=batch.valid_only,
            progress=progress,
        )
    except (ImportFileError, PermissionDenied) as exc:
        batch.status, batch.error = ImportStatus.FAILED, str(exc)
    except DatabaseError as exc:  # nothing was kept (one transaction); say so rather than hang "importing"
        logger.exception("import batch %s failed", batch_id)
        batch.status = ImportStatus.FAILED
        batch.error = f"The import failed and nothing was written ({exc.__class__.__name__}). Try again."
    else:
        batch.result = result.as_dict()
        batch.status = ImportStatus.DONE if result.committed else ImportStatus.REFUSED
        batch.processed_rows = batch.phase_rows = len(result.rows)
    finally:
        progress.close()
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "error", "result", "processed_rows", "phase_rows", "finished_at"])
    return batch


def import_batches_requeue_stale(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Hand the worker again the batches it appears to have lost: waiting (to be checked or
    imported) longer than IMPORT_QUEUED_STALE_SECONDS after their message went to the broker, or
    started longer ago than the task's time limit (a worker that died). A batch whose message is
    still in the outbox is the relay's, not the sweep's. Running a batch twice is harmless: each
    run claims it first."""
    now = now or timezone.now()
    queued_cutoff = now - dt.timedelta(seconds=settings.IMPORT_QUEUED_STALE_SECONDS)
    running_cutoff = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    waiting = Q(status__in=[ImportStatus.CHECKING, ImportStatus.QUEUED], started_at__isnull=True)
    dead = Q(status__in=[ImportStatus.CHECKING, ImportStatus.RUNNING], started_at__lt=running_cutoff)
    candidates = list(
        ImportBatch.objects.filter(waiting | dead)
        .filter(Q(queued_at__lt=queued_cutoff) | Q(queued_at__isnull=True))
        .order_by("pk")
        .values_list("pk", "status", "queued_at")[:limit]
    )
    if not candidates:
        return 0
    in_outbox = set(
        OutboxMessage.objects.filter(
            task__in=[IMPORT_TASK, CHECK_TASK],
            dispatched_at__isnull=True,
            kwargs__batch_id__in=[pk for pk, _, _ in candidates],
        ).values_list("kwargs__batch_id", flat=True)
    )
    count = 0
    for pk, status, queued_at in candidates:
        if pk in in_outbox:
            continue
        with transaction.atomic():
            if not ImportBatch.objects.filter(pk=pk, status=status, queued_at=queued_at).update(queued_at=now):
                continue  # it moved on meanwhile
            task = CHECK_TASK if status == ImportStatus.CHECKING else IMPORT_TASK
            key = f"import:{pk}:requeue:{now.timestamp():.0f}"
            outbox_enqueue(task=task, kwargs={"batch_id": pk}, dedupe_key=key)
        count += 1
        logger.warning("import batch %s was stuck (%s); queued again", pk, status)
    return count
