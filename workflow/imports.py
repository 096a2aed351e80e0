"""Import of existing agreements from a CSV or XLSX file (one row per agreement).

A dry run and a real import are the same code: every row is created inside its own savepoint,
through the model validation every other door uses, at the state and with the dates the file
gives; the dry run then rolls everything back, the real import commits only when every row is
valid (or, when asked, only the valid rows). Each imported agreement gets one audit row
"Imported from FILE row N by USER". A row whose reference or external reference is already in
the portal is skipped, so importing the same file twice creates nothing twice.

The columns are those of the portal's own exports (``agreements.exports.COLUMNS``)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from agreements.choices import (
    REVIEW_STATES,
    TERMINAL_STATES,
    AgreementKind,
    AmendmentType,
    LegalAuthority,
    Marking,
    ParticipantRole,
    State,
    SystemPhase,
)
from agreements.exports import COLUMNS, IMPORT_ONLY_COLUMNS
from agreements.models import (
    SSOI,
    Agreement,
    Contribution,
    Participant,
    ReferenceCounter,
    amendment_result_errors,
    parent_candidacy_error,
    partner_eligibility_error,
)
from partners.models import CoordinatingOffice, Organization, Partner, Role, User

from .models import (
    CoordinationPosition,
    CoordinationRound,
    CoordinationStage,
    ImportBatch,
    ImportStatus,
    ReportingObligation,
    TransitionLog,
)
from .notifications import notify
from .outbox import outbox_enqueue
from .services import _open_obligations
from .transitions import EVENT_IMPORTED

logger = logging.getLogger(__name__)

ALL_COLUMNS = {c.key: c for c in (*COLUMNS, *IMPORT_ONLY_COLUMNS)}
REQUIRED_COLUMNS = ("title", "kind")
REFERENCE_PATTERN = re.compile(r"^ICP-(\d{4})-(\d{4,})$")
BEFORE_SIGNATURE = (
    State.PROPOSAL,
    State.SSOI_DRAFTING,
    State.RAD_REVIEW,
    State.NEGOTIATION,
    State.RFA_REVIEW,
    State.CONGRESSIONAL_WAIT,
    State.APPROVED,
    State.WITHDRAWN,
    State.DISAPPROVED,
)
SIGNED_STATES = (State.IN_FORCE, State.EXPIRED, State.TERMINATED)
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


# --- values -----------------------------------------------------------------------------------
def _choice(row: ImportRow, key: str, choices, default: str = "") -> str:
    text = row.values.get(key, "").strip()
    if not text:
        return default
    wanted = text.lower()
    for value, label in choices.choices:
        if wanted in (str(value).lower(), str(label).lower()):
            return value
    names = ", ".join(str(label) for _, label in choices.choices)
    row.add(key, f"“{text}” is not one of: {names}.")
    return default


def _date(row: ImportRow, key: str) -> dt.date | None:
    text = row.values.get(key, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        row.add(key, f"“{text}” is not a date: write it as YYYY-MM-DD.")
        return None


def _yes_no(row: ImportRow, key: str) -> bool:
    text = row.values.get(key, "").strip().lower()
    if text in ("", "no", "n", "false", "0"):
        return False
    if text in ("yes", "y", "true", "1"):
        return True
    row.add(key, f"“{row.values[key]}” is not yes or no.")
    return False


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text or "") if part.strip()]


@dataclass
class _Lookups:
    """Reference data, existing keys and the parents the file names, loaded in a few queries."""

    partners: dict[str, Partner]
    organizations: dict[str, Organization]
    existing_references: set[str]
    existing_external: dict[str, str]
    parents: dict[str, Agreement]
    parent_partner_codes: dict[int, set[str]]

    @classmethod
    def load(cls, rows: list[ImportRow]) -> _Lookups:
        partners: dict[str, Partner] = {}
        for partner in Partner.objects.all():
            partners[partner.code.upper()] = partner
            partners.setdefault(partner.name.upper(), partner)
        organizations: dict[str, Organization] = {}
        for organization in Organization.objects.all():
            organizations[organization.code.upper()] = organization
            organizations.setdefault(organization.name.upper(), organization)
        keys = {r.values.get("reference", "") for r in rows} | {r.values.get("external_reference", "") for r in rows}
        keys.discard("")
        existing = Agreement.objects.filter(Q(reference__in=keys) | Q(external_reference__in=keys))
        existing_references = set()
        existing_external = {}
        for reference, external in existing.values_list("reference", "external_reference"):
            existing_references.add(reference)
            if external:
                existing_external[external] = reference
        wanted = {r.values.get("parent_reference", "") for r in rows} - {""}
        parents: dict[str, Agreement] = {}
        parent_partner_codes: dict[int, set[str]] = {}
        for parent in Agreement.objects.filter(
            Q(reference__in=wanted) | Q(external_reference__in=wanted)
        ).prefetch_related("participants__partner"):
            parents[parent.reference] = parent
            if parent.external_reference:
                parents[parent.external_reference] = parent
            parent_partner_codes[parent.pk] = {p.partner.code for p in parent.participants.all()}
        return cls(
            partners=partners,
            organizations=organizations,
            existing_references=existing_references,
            existing_external=existing_external,
            parents=parents,
            parent_partner_codes=parent_partner_codes,
        )


# --- one row ----------------------------------------------------------------------------------
FIELD_COLUMNS = {
    "expiration_date": "expiration_date",
    "effective_date": "effective_date",
    "parent": "parent_reference",
    "phase": "phase",
    "authority": "authority",
    "authority_text": "authority_text",
    "new_expiration_date": "new_expiration_date",
    "amendment_type": "amendment_type",
    "title": "title",
    "short_title": "short_title",
    "partner": "partner_codes",
    "partners": "partner_codes",
    "kind": "kind",
    "external_reference": "external_reference",
    "fixed_entry_into_force_date": "fixed_entry_into_force_date",
}


def _add_validation_error(row: ImportRow, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for message in errors:
                row.add(FIELD_COLUMNS.get(name, "" if name == "__all__" else name), message)
    else:
        for message in exc.messages:
            row.add("", message)


def _partners(row: ImportRow, lookups: _Lookups) -> list[Partner]:
    key = "partner_codes" if row.values.get("partner_codes") else "partners"
    names = _split(row.values.get(key, ""))
    if not names:
        row.add("partner_codes", "Name at least one partner.")
        return []
    partners = []
    for name in names:
        partner = lookups.partners.get(name.upper())
        if partner is None:
            row.add(key, f"“{name}” is not a partner code the portal knows.")
        elif partner in partners:
            row.add(key, f"{partner.code} is listed twice.")
        else:
            partners.append(partner)
    return partners


def _dated_pairs(row: ImportRow, key: str, parse: Callable[[str], object]) -> dict[str, object]:
    """``GBR 2024-03-01; FRA 2024-03-05`` → {"GBR": date, …} (or amounts, with ``parse``)."""
    pairs = {}
    for part in _split(row.values.get(key, "")):
        code, _, rest = part.replace("=", " ").replace(":", " ").partition(" ")
        try:
            pairs[code.strip().upper()] = parse(rest.strip())
        except (ValueError, InvalidOperation):
            row.add(
                key,
                f"“{part}” is not a partner code followed by a {'date' if key != 'contribution_totals' else 'amount'}.",
            )
    return pairs


def _amount(text: str) -> Decimal:
    value = Decimal(text.replace(",", "").replace("$", ""))
    if value < 0 or not value.is_finite():
        raise InvalidOperation
    return value


def _state_problems(row: ImportRow, a: Agreement, signatures: dict[str, dt.date], partners: list[Partner]) -> None:
    """A state that the file's own dates contradict is refused, with the date that says so."""
    today = timezone.localdate()
    state = a.state
    label = State(state).label
    signed = [d for d in [a.us_signature_date, *signatures.values()] if d]
    for column, date in [("us_signature_date", a.us_signature_date)] + [
        ("partner_signatures", d) for d in signatures.values()
    ]:
        if date and date > today:
            row.add(column, f"A signature date cannot be in the future ({date:%Y-%m-%d}).")
    if state in BEFORE_SIGNATURE and (signed or a.entry_into_force_date):
        row.add("state", f"The file says {label}, but gives a signature or entry-into-force date: it was signed.")
    all_signed = bool(a.us_signature_date) and all(p.code in signatures for p in partners)
    if state == State.SIGNING and (not signed or all_signed):
        row.add("state", "Signing means some signatures are in and some are not; the signature dates say otherwise.")
    if state in SIGNED_STATES:
        if a.entry_into_force_date is None and all_signed:
            a.entry_into_force_date = a.fixed_entry_into_force_date or max(signed)
        if a.entry_into_force_date is None:
            row.add("entry_into_force_date", f"{label} needs the entry-into-force date (or every signature date).")
        elif a.entry_into_force_date > today:
            row.add(
                "entry_into_force_date", f"{label}, but it enters into force on {a.entry_into_force_date:%Y-%m-%d}."
            )
        elif signed and a.entry_into_force_date < max(signed):
            row.add("entry_into_force_date", "The agreement cannot enter into force before its last signature.")
    if state == State.SIGNED:
        if not a.fixed_entry_into_force_date or a.fixed_entry_into_force_date <= today:
            row.add(
                "fixed_entry_into_force_date",
                f"{label} needs the fixed entry-into-force date, still ahead.",
            )
        if a.entry_into_force_date:
            row.add("entry_into_force_date", f"{label}, but the file says it entered into force.")
        if signed and not all_signed:
            row.add("state", f"{label} means every signature is in; the signature dates say otherwise.")
    if state == State.IN_FORCE and a.expiration_date and a.expiration_date <= today:
        row.add("state", f"In force, but it expired on {a.expiration_date:%Y-%m-%d}: the state is Expired.")
    if state == State.EXPIRED and (a.expiration_date is None or a.expiration_date > today):
        row.add("state", "Expired needs an expiration date that has passed.")
    if state == State.CONGRESSIONAL_WAIT and not a.congressional_notice_date:
        row.add("congressional_notice_date", "A congressional wait runs from the notice date: give it.")
    if a.congressional_notice_date and a.congressional_notice_date > today:
        row.add("congressional_notice_date", "The notice date cannot be in the future.")


def _state_since(row: ImportRow, a: Agreement) -> dt.datetime:
    given = _date(row, "state_since")
    today = timezone.localdate()
    if given and given > today:
        row.add("state_since", "The agreement cannot have entered its state in the future.")
        given = None
    if given is None:
        if a.state == State.EXPIRED and a.expiration_date:
            given = a.expiration_date
        elif a.state in SIGNED_STATES and a.entry_into_force_date:
            given = a.entry_into_force_date
        else:
            given = today
    return timezone.make_aware(dt.datetime.combine(given, dt.time(12)))


@dataclass
class _Planned:
    """A valid row, ready to be written: its agreement (unsaved) and what goes with it."""

    row: ImportRow
    agreement: Agreement
    partners: list[Partner]
    lead: str
    signatures: dict
    totals: dict
    parent: _Planned | None = None


class _Ctx:
    """What one import run carries from row to row."""

    def __init__(self, user: User, filename: str, lookups: _Lookups):
        self.user = user
        self.filename = filename
        self.lookups = lookups
        self.planned: dict[str, _Planned] = {}  # reference and external reference -> valid row
        self.bad_keys: set[str] = set()


def _plan_row(row: ImportRow, ctx: _Ctx) -> _Planned | None:
    """Check one row against the model's validation and the file's own logic, without writing.
    Problems are recorded on the row; a valid row comes back as a plan."""
    values = row.values
    lookups = ctx.lookups
    reference = values.get("reference", "").strip()
    external = values.get("external_reference", "").strip()
    if reference in lookups.existing_references:
        row.action, row.existing_reference = "exists", reference
        return None
    if external and external in lookups.existing_external:
        row.action, row.existing_reference = "exists", lookups.existing_external[external]
        return None
    if not reference and not external:
        row.add(
            "reference", "Give a reference or an external reference, so that a second import does not create it again."
        )
    if reference and len(reference) > 20:
        row.add("reference", "A reference has at most 20 characters.")
    for key in (reference, external):
        if key and (key in ctx.planned or key in ctx.bad_keys):
            row.add("reference" if key == reference else "external_reference", f"“{key}” appears on an earlier row.")

    title = values.get("title", "").strip()
    if not title:
        row.add("title", "Every agreement needs a title.")
    kind = _choice(row, "kind", AgreementKind)
    if not kind and not values.get("kind"):
        row.add("kind", "Say which kind of agreement this is.")
    state = _choice(row, "state", State, default=State.PROPOSAL)
    authority = _choice(row, "authority", LegalAuthority)
    phase = _choice(row, "phase", SystemPhase)
    amendment_type = _choice(row, "amendment_type", AmendmentType)
    marking = _choice(row, "marking", Marking, default=Marking.CUI)
    releasable = _yes_no(row, "releasable_to_partners")
    partners = _partners(row, lookups)
    organization_text = values.get("lead_organization_code") or values.get("lead_organization", "")
    organization = lookups.organizations.get(organization_text.strip().upper())
    if organization is None:
        column = "lead_organization_code" if values.get("lead_organization_code") else "lead_organization"
        if organization_text:
            row.add(column, f"“{organization_text}” is not a DoD Component the portal knows.")
        else:
            row.add("lead_organization", "Name the DoD Component that leads the agreement.")
    parent = None
    parent_plan = ctx.planned.get(values.get("parent_reference", "").strip())
    parent_key = values.get("parent_reference", "").strip()
    parent_codes: set[str] = set()
    if parent_key:
        if parent_plan is not None:
            parent = parent_plan.agreement
            parent_codes = {p.code for p in parent_plan.partners}
        elif parent_key in ctx.bad_keys:
            row.add("parent_reference", f"The parent {parent_key} is on a row with problems.")
        else:
            parent = lookups.parents.get(parent_key)
            if parent is None:
                row.add("parent_reference", f"The parent {parent_key} is neither in the file nor in the portal.")
            else:
                parent_codes = lookups.parent_partner_codes.get(parent.pk, set())
    elif kind in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        row.add("parent_reference", "A project arrangement or amendment needs its parent agreement's reference.")
    if kind == AgreementKind.SECTION_65_LOAN:
        authority = authority or LegalAuthority.AECA_65
    if kind == AgreementKind.PROJECT_ARRANGEMENT and parent_plan is not None and parent.kind == AgreementKind.MASTER:
        # partner_eligibility_error's rule, asked in memory: the master is a row of this file.
        for partner in partners:
            if partner.code not in parent_codes:
                row.add(
                    "partner_codes",
                    f"{partner.name} is not a participant in the master agreement {parent_key}.",
                )
    if (
        kind == AgreementKind.PROJECT_ARRANGEMENT
        and parent is not None
        and state not in (State.PROPOSAL, State.SSOI_DRAFTING, State.WITHDRAWN)
        and parent.state not in (State.IN_FORCE, State.EXPIRED, State.TERMINATED)
    ):
        # The rule of submit_rad: a project arrangement goes up for review only under a master in force.
        row.add(
            "state",
            f"A project arrangement can be {State(state).label} only under a master that has been in force; "
            f"{parent_key} is {State(parent.state).label}.",
        )
    if kind == AgreementKind.AMENDMENT and parent is not None and not authority:
        authority = parent.authority
    lead_code = values.get("lead_partner", "").strip().upper()
    if lead_code and lead_code not in {p.code for p in partners}:
        lead_partner = lookups.partners.get(lead_code)
        # The sentence of agreement_violations' rule, for a lead partner the portal knows.
        name = lead_partner.name if lead_partner else lead_code
        row.add("lead_partner", f"{name} is not among the agreement's partners.")
    signatures = _dated_pairs(row, "partner_signatures", dt.date.fromisoformat)
    for code in signatures:
        if code not in {p.code for p in partners}:
            row.add("partner_signatures", f"{code} signed but is not among the partners.")
    totals = _dated_pairs(row, "contribution_totals", _amount)
    for code in totals:
        if code not in {p.code for p in partners}:
            row.add("contribution_totals", f"{code} contributes but is not among the partners.")

    agreement = Agreement(
        reference=reference,
        external_reference=external,
        title=title[:300],
        short_title=values.get("short_title", "").strip()[:80],
        kind=kind,
        phase=phase,
        parent=parent,
        amendment_type=amendment_type,
        new_expiration_date=_date(row, "new_expiration_date"),
        lead_organization=organization,
        authority=authority,
        authority_text=values.get("authority_text", "").strip()[:200],
        effective_date=_date(row, "effective_date"),
        fixed_entry_into_force_date=_date(row, "fixed_entry_into_force_date"),
        entry_into_force_date=_date(row, "entry_into_force_date"),
        expiration_date=_date(row, "expiration_date"),
        marking=marking,
        releasable_to_partners=releasable,
        internal_notes=values.get("internal_notes", "").strip(),
        state=state,
        congressional_notice_date=_date(row, "congressional_notice_date"),
        us_signature_date=_date(row, "us_signature_date"),
        us_signatory_name=values.get("us_signatory_name", "").strip()[:200],
    )
    if agreement.effective_date and agreement.expiration_date and agreement.expiration_date <= agreement.effective_date:
        row.add("expiration_date", "The expiration date must come after the effective date.")
    _state_problems(row, agreement, signatures, partners)
    since = _state_since(row, agreement)
    agreement.state_changed_at = since
    agreement.created_at = since
    if row.problems or organization is None or not kind:
        return None

    try:
        # Foreign keys were resolved above; the database enforces the constraints again on insert.
        agreement.full_clean(
            exclude=["reference", "state", "lead_organization", "parent", "action_officer"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        _add_validation_error(row, exc)
        return None
    # The whole-agreement rules every door applies (agreements.models), wherever they can be asked
    # of a row not yet stored: partner eligibility, the parent's candidacy, an amendment's result.
    shared: dict[str, list[str]] = defaultdict(list)
    parent_stored = parent is not None and parent_plan is None
    if parent is None or parent_stored:
        for partner in partners:
            if problem := partner_eligibility_error(agreement, partner):
                shared["partners"].append(problem)
    if parent_stored and state not in TERMINAL_STATES:
        if problem := parent_candidacy_error(parent, kind):
            shared["parent"].append(problem)
    if kind == AgreementKind.AMENDMENT and parent_stored:
        for name, messages in amendment_result_errors(agreement, partners).items():
            shared[name].extend(messages)
    if shared:
        _add_validation_error(row, ValidationError(dict(shared)))
        return None
    agreement.pk = -row.number  # a placeholder, so rows naming it as their parent validate
    return _Planned(
        row=row,
        agreement=agreement,
        partners=partners,
        lead=lead_code or partners[0].code,
        signatures=signatures,
        totals=totals,
        parent=parent_plan,
    )


def _write(plans: list[_Planned], ctx: _Ctx) -> None:
    """Write a chunk of valid rows (parents were written in an earlier chunk) in a few queries:
    the agreements, their participants, contributions, SSOIs, field history and audit rows."""
    user, now = ctx.user, timezone.now()
    missing = [p for p in plans if not p.agreement.reference]
    if missing:
        year = timezone.localdate().year
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        for plan in missing:
            counter.last += 1
            plan.agreement.reference = f"ICP-{year}-{counter.last:04d}"
        counter.save(update_fields=["last"])
    agreements = []
    for plan in plans:
        plan.agreement.pk = None
        if plan.parent is not None:
            plan.agreement.parent = plan.parent.agreement  # written in an earlier chunk: a real id now
        agreements.append(plan.agreement)
    reason = f"Imported from {ctx.filename}"[:100]
    bulk_create_with_history(agreements, Agreement, default_user=user, default_change_reason=reason, default_date=now)
    participants, contributions = [], []
    for plan in plans:
        for partner in plan.partners:
            participant = Participant(
                agreement=plan.agreement,
                partner=partner,
                role=ParticipantRole.LEAD if partner.code == plan.lead else ParticipantRole.PARTICIPANT,
                signature_date=plan.signatures.get(partner.code),
            )
            participants.append(participant)
            if partner.code in plan.totals:
                contributions.append(
                    Contribution(
                        participant=participant,
                        description="Total contribution (imported)",
                        amount_usd=plan.totals[partner.code],
                    )
                )
    bulk_create_with_history(participants, Participant, default_user=user, default_change_reason=reason)
    for contribution in contributions:
        contribution.participant = contribution.participant  # the participant has its id now
    bulk_create_with_history(contributions, Contribution, default_user=user, default_change_reason=reason)
    bulk_create_with_history(
        [SSOI(agreement=p.agreement) for p in plans], SSOI, default_user=user, default_change_reason=reason
    )
    who = user.get_full_name() or user.username
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                agreement=p.agreement,
                transition=EVENT_IMPORTED,
                source="",
                target=p.agreement.state,
                user=user,
                timestamp=now,
                comment=f"Imported from {ctx.filename} row {p.row.number} by {who}.",
                data={
                    "file": ctx.filename,
                    "row": p.row.number,
                    "state_since": timezone.localtime(p.agreement.state_changed_at).date().isoformat(),
                },
            )
            for p in plans
        ]
    )
    _open_clocks([p.agreement for p in plans])
    for plan in plans:
        plan.row.action, plan.row.reference = "create", plan.agreement.reference


def _open_clocks(agreements: list[Agreement]) -> None:
    """The clocks an agreement at its state would have running now: under review, a coordination
    round with the default offices (due after the silence period, from today); in force and
    signed within the transmittal period, the reporting obligations."""
    in_review = [a for a in agreements if a.state in REVIEW_STATES]
    if in_review:
        offices = list(CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True))
        now = timezone.now()
        rounds = CoordinationRound.objects.bulk_create(
            [
                CoordinationRound(
                    agreement=a,
                    stage=CoordinationStage.RAD if a.state == State.RAD_REVIEW else CoordinationStage.RFA,
                    opened_at=now,
                )
                for a in in_review
            ]
        )
        due = now + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
        CoordinationPosition.objects.bulk_create(
            [CoordinationPosition(round=r, office=o, due_at=due) for r in rounds for o in offices]
        )
        for office in offices:
            notify(
                users=User.objects.filter(role=Role.COORDINATOR, coordinating_office=office, is_active=True),
                kind="position_requested",
                message=f"{len(rounds)} imported agreement{'s' if len(rounds) != 1 else ''} under review "
                f"await {office.name}'s position by {due:%Y-%m-%d}.",
                dedupe_key=f"import_positions:{rounds[0].pk}:{office.pk}",
            )
    cutoff = timezone.localdate() - dt.timedelta(days=settings.STATE_TRANSMITTAL_DAYS)
    for agreement in agreements:
        if agreement.state == State.IN_FORCE and agreement.entry_into_force_date >= cutoff:
            _open_obligations(agreement)
            # An obligation whose deadline passed before the portal knew the agreement is not invented.
            ReportingObligation.objects.filter(agreement=agreement, due_date__lt=timezone.localdate()).delete()


def _order(rows: list[ImportRow]) -> list[ImportRow]:
    """Parents before the rows that name them (masters, then PAs, then amendments)."""
    keys = {}
    for row in rows:
        for key in (row.values.get("reference"), row.values.get("external_reference")):
            if key:
                keys.setdefault(key, row)
    depth: dict[int, int] = {}

    def level(row: ImportRow, seen: frozenset = frozenset()) -> int:
        if row.number in depth:
            return depth[row.number]
        parent = keys.get(row.values.get("parent_reference", ""))
        result = (
            0 if parent is None or parent is row or parent.number in seen else level(parent, seen | {row.number}) + 1
        )
        depth[row.number] = result
        return result

    return sorted(rows, key=lambda r: (level(r), r.number))


# --- the service ------------------------------------------------------------------------------
def import_denial(user: User) -> str | None:
    if user.is_portal_admin or user.is_reviewer:
        return None
    return "Only administrators and OUSD(A&S) reviewers may import agreements."


def agreements_import(
    *,
    content: bytes,
    filename: str,
    user: User,
    dry_run: bool = True,
    valid_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Read the file and create its agreements. ``dry_run`` reports what would happen and writes
    nothing; otherwise nothing is written unless every row is valid, or ``valid_only`` imports the
    valid rows and leaves the others. Raises ImportFileError when the file cannot be read."""
    if denial := import_denial(user):
        raise PermissionDenied(denial)
    filename = (filename or "import").replace("\\", "/").rsplit("/", 1)[-1][:120]
    rows, ignored = read_rows(content, filename)
    result = ImportResult(filename=filename, rows=rows, dry_run=dry_run, ignored_columns=ignored)
    ctx = _Ctx(user, filename, _Lookups.load(rows))
    ordered = _order(rows)
    plans: list[_Planned] = []
    for row in ordered:
        plan = _plan_row(row, ctx)
        if row.action == "exists":
            continue
        if row.problems or plan is None:
            row.action = "error"
            ctx.bad_keys.update(k for k in (row.values.get("reference"), row.values.get("external_reference")) if k)
            continue
        row.action = "create"
        plans.append(plan)
        for key in (plan.agreement.reference, plan.agreement.external_reference):
            if key:
                ctx.planned[key] = plan
    if dry_run or not plans or (result.errors and not valid_only):
        for plan in plans:
            plan.agreement.pk = None
        # A file whose every row is in the portal already is a successful import of nothing.
        result.committed = not dry_run and not plans and (valid_only or not result.errors)
        return result
    total = len(plans)
    try:
        with transaction.atomic():
            _reserve_references(plans)
            done = 0
            for chunk in _chunks(plans):
                _write(chunk, ctx)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except IntegrityError as exc:
        # Only a concurrent change can get here (every rule was checked above): nothing is kept.
        raise ImportFileError(
            "The database refused the import, nothing was written: another change to the same agreements "
            f"happened at the same time ({exc.__class__.__name__}). Check the file again."
        ) from None
    result.committed = True
    return result


WRITE_CHUNK = 500


def _chunks(plans: list[_Planned]):
    """Chunks of at most WRITE_CHUNK rows, a parent always in an earlier chunk than its children."""
    written: set[int] = set()
    chunk: list[_Planned] = []
    for plan in plans:  # already ordered parents first
        if len(chunk) >= WRITE_CHUNK or (plan.parent is not None and id(plan.parent) not in written):
            if chunk:
                yield chunk
                written.update(id(p) for p in chunk)
            chunk = []
        chunk.append(plan)
    if chunk:
        yield chunk


def _reserve_references(plans: list[_Planned]) -> None:
    """Move the reference counters past the file's own ICP-YYYY-NNNN references, so that new
    proposals never collide with imported ones."""
    highest: dict[int, int] = {}
    for plan in plans:
        match = REFERENCE_PATTERN.match(plan.agreement.reference)
        if match:
            year, number = int(match[1]), int(match[2])
            highest[year] = max(highest.get(year, 0), number)
    for year, number in highest.items():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        if counter.last < number:
            counter.last = number
            counter.save(update_fields=["last"])


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


# --- the template -----------------------------------------------------------------------------
TEMPLATE_EXAMPLE = {
    "external_reference": "LEGACY-0001",
    "title": "Master RDT&E agreement between the United States and the United Kingdom",
    "short_title": "US-UK RDT&E MOU",
    "kind": AgreementKind.MASTER.label,
    "state": State.IN_FORCE.label,
    "lead_organization_code": "ARMY",
    "partner_codes": "GBR",
    "lead_partner": "GBR",
    "authority": LegalAuthority.USC_2350A.label,
    "effective_date": dt.date(2021, 3, 1),
    "expiration_date": dt.date(2036, 3, 1),
    "entry_into_force_date": dt.date(2021, 3, 1),
    "us_signature_date": dt.date(2021, 2, 20),
    "us_signatory_name": "Under Secretary of Defense (A&S)",
    "partner_signatures": "GBR 2021-03-01",
    "releasable_to_partners": "yes",
    "marking": Marking.CUI.value,
    "contribution_totals": "GBR 1500000",
}
TEMPLATE_CHOICES = {
    "kind": AgreementKind,
    "state": State,
    "authority": LegalAuthority,
    "phase": SystemPhase,
    "amendment_type": AmendmentType,
    "marking": Marking,
}


def import_template_xlsx() -> bytes:
    """An XLSX with the header row, one filled example, drop-down lists for every enumeration, and
    a second sheet describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = [
        c for c in (*COLUMNS, *IMPORT_ONLY_COLUMNS) if c.key not in ("reference", "partners", "lead_organization")
    ]
    columns.insert(0, ALL_COLUMNS["reference"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Agreements"
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([TEMPLATE_EXAMPLE.get(c.key, "") for c in columns])
    lists = workbook.create_sheet("Lists")
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 24
        if column.key in TEMPLATE_CHOICES or column.key == "releasable_to_partners":
            labels = (
                ["yes", "no"]
                if column.key == "releasable_to_partners"
                else [str(label) for _, label in TEMPLATE_CHOICES[column.key].choices]
            )
            list_col = lists.cell(row=1, column=index).column_letter
            for offset, label in enumerate(labels, start=1):
                lists.cell(row=offset, column=index, value=label)
            validation = DataValidation(
                type="list",
                formula1=f"=Lists!${list_col}$1:${list_col}${len(labels)}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Choose one of the {column.header.lower()} values in the list.",
            )
            validation.add(f"{letter}2:{letter}{settings.IMPORT_MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
        elif column.key.endswith("_date") or column.key == "state_since":
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="DATE(1950,1,1)",
                allow_blank=True,
                showErrorMessage=True,
                error="Enter a date (YYYY-MM-DD).",
            )
            validation.add(f"{letter}2:{letter}{settings.IMPORT_MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
            sheet.cell(row=2, column=index).number_format = "yyyy-mm-dd"
    lists.sheet_state = "hidden"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Columns")
    guide.append(["Column", "What to enter"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.header, column.help or "Optional."])
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
