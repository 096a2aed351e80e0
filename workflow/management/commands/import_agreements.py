"""``manage.py import_agreements FILE [--dry-run] [--valid-only] [--as USERNAME]``: the same import
as the browser's, for large files and scripted migrations."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from partners.models import Role, User
from workflow.imports import ImportFileError, agreements_import


class Command(BaseCommand):
    help = (
        "Import agreements from a CSV or XLSX file (the columns of the portal's exports). Nothing is "
        "written unless every row is valid, or --valid-only is given. Importing the same file again "
        "creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Report row by row; write nothing.")
        parser.add_argument("--valid-only", action="store_true", help="Import the valid rows and skip the others.")
        parser.add_argument(
            "--as",
            dest="username",
            help="The administrator or reviewer the import is credited to (default: the first administrator).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        user = self._user(options["username"])
        started = time.monotonic()

        def progress(phase: str, done: int, total: int) -> None:
            if sys.stderr.isatty() or total >= 1000:
                self.stderr.write(f"\r{phase}: {done}/{total} rows   ", ending="")

        try:
            result = agreements_import(
                content=path.read_bytes(),
                filename=path.name,
                user=user,
                dry_run=options["dry_run"],
                valid_only=options["valid_only"],
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write("")
        for column in result.ignored_columns:
            self.stdout.write(self.style.WARNING(f"Column “{column}” is not known and is ignored."))
        for row in result.errors:
            for problem in row.problems:
                self.stdout.write(f"row {row.number}: {problem}")
        elapsed = time.monotonic() - started
        summary = (
            f"{len(result.rows)} rows: {len(result.to_create)} to create, {len(result.existing)} already in the "
            f"portal, {len(result.errors)} with problems ({elapsed:.1f} s)."
        )
        if result.committed:
            self.stdout.write(self.style.SUCCESS(f"Imported. {summary}"))
        elif options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written. {summary}")
        else:
            self.stdout.write(self.style.ERROR(f"Nothing imported. {summary}"))
            raise CommandError("Fix the rows above, or import only the valid rows with --valid-only.")

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username}.")
            return user
        user = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No administrator to credit the import to: name one with --as USERNAME.")
        return user
