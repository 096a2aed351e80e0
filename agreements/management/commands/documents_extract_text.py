"""Fill in the searchable text of documents stored before text was extracted at upload.

Documents uploaded before migration 0006 have an empty ``text``, so search and comparison cannot
find their words. This command reads each such file once and stores its text. It streams: one
batch of rows at a time, in id order, one file in memory at a time. It is idempotent: only
documents whose text is still empty are read, and a row that gained text meanwhile (a new upload)
is left alone. A file whose text cannot be read (a scan, an image) stays empty and is read again
on the next run, with the same result."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from agreements.models import Document
from agreements.text_extraction import extract_text


class Command(BaseCommand):
    help = "Extract the searchable text of documents uploaded before text extraction existed (empty text only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=100, help="Rows fetched per query (default 100).")

    def handle(self, *args: object, **options: object) -> None:
        batch = max(1, int(options["batch"]))
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        filled = empty = missing = 0
        last_id = 0
        while True:
            rows = list(
                Document.objects.filter(text="", pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "file", "original_name", "content_type", "size")[:batch]
            )
            if not rows:
                break
            for pk, name, original_name, content_type, size in rows:
                last_id = pk
                text = ""
                if 0 < size <= limit:
                    try:
                        with Document._meta.get_field("file").storage.open(name, "rb") as handle:
                            content = handle.read(limit + 1)
                    except OSError:
                        missing += 1
                        self.stderr.write(f"Document {pk}: its file {name} cannot be read.")
                        continue
                    text = extract_text(content, original_name or name, content_type)
                if text and Document.objects.filter(pk=pk, text="").update(text=text):
                    filled += 1
                else:
                    empty += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Text extracted for {filled} document(s); {empty} had no readable text; "
                f"{missing} file(s) could not be opened."
            )
        )
