"""``manage.py backup [--out DIR]``: the database (pg_dump custom format), the document files
(or the S3 bucket's listing) and a manifest with every file's sha256 (icp_portal.backup)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from icp_portal.backup import MANIFEST, backup


class Command(BaseCommand):
    help = "Back up the database and the document files into one folder with a verifiable manifest."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="var/backups", help="Folder to write the backup under.")

    def handle(self, *args, out: str, **options):
        target = backup(Path(out))
        manifest = json.loads((target / MANIFEST).read_text())
        database = manifest["database"]
        files = len(manifest.get("media", {}).get("files", {})) or len(manifest.get("s3_objects", []))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {target}: {database['agreements']} agreements, "
                f"{database['audit_rows']} audit rows, {len(database['documents'])} documents, {files} files."
            )
        )
        self.stdout.write(str(target))
