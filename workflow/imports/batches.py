"""The browser's batches: a file is stored with its dry run, then imported at once (small
files) or by the worker with its progress shown (large ones)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from partners.models import User

from ..models import (
    ImportBatch,
    ImportStatus,
)
from ..outbox import outbox_enqueue
from .reading import ImportFileError
from .service import agreements_import, import_denial

logger = logging.getLogger(__name__)


# --- the browser's batches: preview, then import with progress ---------------------------------
IMPORT_INLINE_ROWS = 300  # larger files are imported by the worker, the page showing progress
IMPORT_TASK = "workflow.tasks.import_batch_run"


def import_batch_preview(*, user: User, content: bytes, filename: str) -> ImportBatch:
    """Store the uploaded file with its dry run (nothing else is written)."""
    from django.core.files.base import ContentFile

    result = agreements_import(content=content, filename=filename, user=user, dry_run=True)
    batch = ImportBatch(
        user=user,
        filename=result.filename,
        sha256=hashlib.sha256(content).hexdigest(),
        total_rows=len(result.rows),
        preview=result.as_dict(),
    )
    batch.file.save(f"{batch.sha256[:16]}-{result.filename}", ContentFile(content), save=False)
    batch.save()
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
        batch.save(update_fields=["status", "valid_only"])
        if batch.total_rows > IMPORT_INLINE_ROWS:
            outbox_enqueue(task=IMPORT_TASK, kwargs={"batch_id": batch.pk}, dedupe_key=f"import:{batch.pk}")
    if batch.total_rows <= IMPORT_INLINE_ROWS:
        import_batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def _progress_writer(batch_id: int):
    """Progress is written on a second connection, so it is visible while the import's own
    transaction is still open (PostgreSQL; SQLite allows one writer at a time, so it waits)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a caller's transaction the batch row may be locked by this very connection.
        return None, lambda: None
    side = connections.create_connection(DEFAULT_DB_ALIAS)

    def write(done: int, total: int) -> None:
        with side.cursor() as cursor:
            cursor.execute("UPDATE workflow_importbatch SET processed_rows = %s WHERE id = %s", [done, batch_id])

    return write, side.close


def import_batch_run(*, batch_id: int) -> ImportBatch | None:
    """Run a queued import (idempotent: a batch already started is left alone)."""
    now = timezone.now()
    # A run whose worker died (its transaction rolled back) may be claimed again after the time limit.
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ImportBatch.objects.filter(pk=batch_id)
        .filter(Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, started_at__lt=stale))
        .update(status=ImportStatus.RUNNING, started_at=now, processed_rows=0)
    )
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("user").get(pk=batch_id)
    write, close = _progress_writer(batch_id)
    try:
        with batch.file.open("rb") as handle:
            content = handle.read()
        result = agreements_import(
            content=content,
            filename=batch.filename,
            user=batch.user,
            dry_run=False,
            valid_only=batch.valid_only,
            progress=write,
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
        batch.processed_rows = len(result.rows)
    finally:
        close()
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "error", "result", "processed_rows", "finished_at"])
    return batch
