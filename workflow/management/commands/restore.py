"""``manage.py restore BACKUP_DIR --yes``: replace the database and the document files with a
backup's, then check every agreement, audit row and file (by sha256) against its manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from icp_portal.backup import restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into DATABASE_URL and MEDIA_ROOT, then verify it."

    def add_arguments(self, parser):
        parser.add_argument("backup_dir")
        parser.add_argument("--yes", action="store_true", help="Confirm that the current data is replaced.")

    def handle(self, *args, backup_dir: str, yes: bool, **options):
        if not yes:
            raise CommandError("This replaces the database and the document files: add --yes to go ahead.")
        try:
            found = restore(Path(backup_dir))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored and verified: {found['agreements']} agreements, {found['audit_rows']} audit rows, "
                f"{found['documents']} documents, {found['files']} files."
            )
        )
