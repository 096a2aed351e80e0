"""Reading the file: the rows of a CSV or XLSX file keyed by the export's columns, and the
report of what the import makes of each row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass, field

from django.conf import settings

from agreements.exports import COLUMNS

ALL_COLUMNS = {c.key: c for c in COLUMNS}
REQUIRED_COLUMNS = ("title", "kind")


_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")


def _normalize_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower().replace("u.s.", "us")).strip()


HEADER_KEYS: dict[str, str] = {}
for _column in ALL_COLUMNS.values():
    HEADER_KEYS[_normalize_header(_column.header)] = _column.key
    HEADER_KEYS[_normalize_header(_column.key)] = _column.key
HEADER_KEYS.update(
    {
        "organization": "lead_organization",
        "dod component": "lead_organization",
        "authority": "authority",
        "parent": "parent_reference",
        "master reference": "parent_reference",
        "entry into force date": "entry_into_force_date",
        "releasable": "releasable_to_partners",
        "internal notes": "internal_notes",
    }
)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, too many rows)."""


@dataclass
class Problem:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass
class ImportRow:
    """One row of the file and what the import makes of it."""

    number: int
    values: dict[str, str]
    action: str = ""  # "create", "exists" or "error"
    problems: list[Problem] = field(default_factory=list)
    reference: str = ""
    existing_reference: str = ""

    @property
    def title(self) -> str:
        return self.values.get("title", "")

    @property
    def key(self) -> str:
        return self.values.get("external_reference") or self.values.get("reference") or ""

    def add(self, column_key: str, message: str) -> None:
        header = ALL_COLUMNS[column_key].header if column_key in ALL_COLUMNS else column_key
        self.problems.append(Problem(header, message))


@dataclass
class ImportResult:
    """The preview (dry run) or the outcome of an import."""

    filename: str
    rows: list[ImportRow]
    dry_run: bool
    committed: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def to_create(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "create"]

    @property
    def existing(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "exists"]

    @property
    def errors(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "ignored_columns": self.ignored_columns,
            "counts": {
                "rows": len(self.rows),
                "create": len(self.to_create),
                "exists": len(self.existing),
                "error": len(self.errors),
            },
            "rows": [
                {
                    "row": r.number,
                    "action": r.action,
                    "reference": r.reference or r.existing_reference,
                    "title": r.title,
                    "problems": [{"column": p.column, "message": p.message} for p in r.problems],
                }
                for r in self.rows
            ],
        }


# --- reading the file -------------------------------------------------------------------------
def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return _FORMULA_ESCAPE.sub("", text)  # the exports neutralise formulas with a leading quote


def _find_header(rows: list[list[str]]) -> int:
    """The index of the header row: the first of the first rows naming two known columns (an XLSX
    export starts with the marking row)."""
    for index, row in enumerate(rows[:5]):
        known = [c for c in row if _normalize_header(c) in HEADER_KEYS]
        if len(known) >= 2:
            return index
    raise ImportFileError("No header row: the first row must name the columns (Reference, Title, Kind, …).")


def read_rows(content: bytes, filename: str) -> tuple[list[ImportRow], list[str]]:
    """The rows of a CSV or XLSX file, keyed by column, and the columns it ignores."""
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    if not content:
        raise ImportFileError("The file is empty.")
    if len(content) > max_bytes:
        raise ImportFileError(f"The file is larger than {settings.MAX_UPLOAD_MB} MB.")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        table = _read_xlsx(content)
    elif name.endswith((".csv", ".txt")) or not name:
        table = _read_csv(content)
    else:
        raise ImportFileError("Import a .csv or .xlsx file.")
    header_index = _find_header(table)
    headers = table[header_index]
    keys: list[str | None] = []
    ignored: list[str] = []
    for header in headers:
        key = HEADER_KEYS.get(_normalize_header(header))
        if key is None and str(header).strip():
            ignored.append(str(header).strip())
        keys.append(key if key not in keys else None)
    missing = [ALL_COLUMNS[k].header for k in REQUIRED_COLUMNS if k not in keys]
    if "partner_codes" not in keys and "partners" not in keys:
        missing.append("Partner codes")
    if missing:
        raise ImportFileError(f"The file has no column {', '.join(missing)}.")
    rows = []
    for offset, raw in enumerate(table[header_index + 1 :], start=header_index + 2):
        values = {k: _cell_text(v) for k, v in zip(keys, raw, strict=False) if k}
        if not any(values.values()):
            continue
        rows.append(ImportRow(number=offset, values=values))
    if len(rows) > settings.IMPORT_MAX_ROWS or len(table) >= _max_table_rows():
        raise ImportFileError(
            f"The file has more than {settings.IMPORT_MAX_ROWS} rows: "
            f"import at most {settings.IMPORT_MAX_ROWS} at a time."
        )
    if not rows:
        raise ImportFileError("The file has a header but no agreements.")
    return rows, ignored


MAX_COLUMNS = 100


def _max_table_rows() -> int:
    """Read at most this many rows: enough to say the file is too long, never the whole of a huge one."""
    return settings.IMPORT_MAX_ROWS + 10


def _read_csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ImportFileError("This is not a text (CSV) file.")
    sample = text[:4096]
    delimiter = max((",", ";", "\t"), key=lambda d: sample.split("\n", 1)[0].count(d))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [row[:MAX_COLUMNS] for row in itertools.islice(reader, _max_table_rows())]
    except csv.Error as exc:
        raise ImportFileError(f"The CSV file cannot be read: {exc}.") from None


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        raise ImportFileError("The XLSX file cannot be read: is it an Excel workbook?") from None
    try:
        sheet = workbook["Agreements"] if "Agreements" in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return [list(row) for row in itertools.islice(rows, _max_table_rows())]
    finally:
        workbook.close()
