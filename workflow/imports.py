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
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.choices import (
    REVIEW_STATES,
    AgreementKind,
    AmendmentType,
    LegalAuthority,
    Marking,
    ParticipantRole,
    State,
    SystemPhase,
)
from agreements.exports import COLUMNS, IMPORT_ONLY_COLUMNS
from agreements.models import SSOI, Agreement, Contribution, Participant, ReferenceCounter
from partners.models import Organization, Partner, User

from .models import CoordinationStage, ReportingObligation
from .services import audit_event, coordination_round_open
from .transitions import EVENT_IMPORTED

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
    if len(rows) > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(f"The file has {len(rows)} rows; import at most {settings.IMPORT_MAX_ROWS} at a time.")
    if not rows:
        raise ImportFileError("The file has a header but no agreements.")
    return rows, ignored


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
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
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
        return [list(row) for row in sheet.iter_rows(values_only=True)]
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
    """Reference data and existing keys, loaded once per import."""

    partners: dict[str, Partner]
    organizations: dict[str, Organization]
    existing_references: set[str]
    existing_external: dict[str, str]

    @classmethod
    def load(cls) -> _Lookups:
        partners: dict[str, Partner] = {}
        for partner in Partner.objects.all():
            partners[partner.code.upper()] = partner
            partners.setdefault(partner.name.upper(), partner)
        organizations: dict[str, Organization] = {}
        for organization in Organization.objects.all():
            organizations[organization.code.upper()] = organization
            organizations.setdefault(organization.name.upper(), organization)
        return cls(
            partners=partners,
            organizations=organizations,
            existing_references=set(Agreement.objects.values_list("reference", flat=True)),
            existing_external=dict(
                Agreement.objects.exclude(external_reference="").values_list("external_reference", "reference")
            ),
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


class _Ctx:
    """What one import run carries from row to row."""

    def __init__(self, user: User, filename: str, lookups: _Lookups):
        self.user = user
        self.filename = filename
        self.lookups = lookups
        self.created: dict[str, Agreement] = {}  # reference and external reference -> created agreement
        self.bad_keys: set[str] = set()
        self.max_number: dict[int, int] = {}


def _import_row(row: ImportRow, ctx: _Ctx) -> Agreement | None:
    """Create the row's agreement (or note that it exists already). Raises nothing: problems are
    recorded on the row, and the caller rolls the row back when there are any."""
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
        if key and (key in ctx.created or key in ctx.bad_keys):
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
    parent_key = values.get("parent_reference", "").strip()
    if parent_key:
        parent = ctx.created.get(parent_key)
        if parent is None and parent_key in ctx.bad_keys:
            row.add("parent_reference", f"The parent {parent_key} is on a row with problems.")
        elif parent is None:
            reference_of = lookups.existing_external.get(parent_key, parent_key)
            parent = Agreement.objects.filter(reference=reference_of).first()
            if parent is None:
                row.add("parent_reference", f"The parent {parent_key} is neither in the file nor in the portal.")
    elif kind in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        row.add("parent_reference", "A project arrangement or amendment needs its parent agreement's reference.")
    if kind == AgreementKind.SECTION_65_LOAN:
        authority = authority or LegalAuthority.AECA_65
        for partner in partners:
            if not partner.eligible_for_section_65:
                row.add(
                    "partner_codes",
                    f"{partner.name} is neither a NATO member nor a major non-NATO ally: "
                    "a Section 65 loan cannot be made to it.",
                )
    if kind == AgreementKind.AMENDMENT and parent is not None and not authority:
        authority = parent.authority
    lead_code = values.get("lead_partner", "").strip().upper()
    if lead_code and lead_code not in {p.code for p in partners}:
        row.add("lead_partner", f"The lead partner {lead_code} is not among the partners.")
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
        agreement.full_clean(exclude=["reference", "state"])
    except ValidationError as exc:
        _add_validation_error(row, exc)
        return None
    agreement._history_user = ctx.user
    agreement._change_reason = f"Imported from {ctx.filename} row {row.number}"[:100]
    agreement.save()
    lead = lead_code or partners[0].code
    for partner in partners:
        participant = Participant(
            agreement=agreement,
            partner=partner,
            role=ParticipantRole.LEAD if partner.code == lead else ParticipantRole.PARTICIPANT,
            signature_date=signatures.get(partner.code),
        )
        try:
            participant.full_clean()
        except ValidationError as exc:
            _add_validation_error(row, exc)
            return None
        participant._history_user = ctx.user
        participant.save()
        if partner.code in totals:
            contribution = Contribution(
                participant=participant, description="Total contribution (imported)", amount_usd=totals[partner.code]
            )
            contribution._history_user = ctx.user
            contribution.save()
    SSOI.objects.create(agreement=agreement)
    audit_event(
        agreement=agreement,
        event=EVENT_IMPORTED,
        user=ctx.user,
        comment=f"Imported from {ctx.filename} row {row.number} by {ctx.user.get_full_name() or ctx.user.username}.",
        data={"file": ctx.filename, "row": row.number, "state_since": since.date().isoformat()},
        source="",
        target=agreement.state,
    )
    _after_import(agreement)
    match = REFERENCE_PATTERN.match(agreement.reference)
    if match:
        year, number = int(match[1]), int(match[2])
        ctx.max_number[year] = max(ctx.max_number.get(year, 0), number)
    row.action, row.reference = "create", agreement.reference
    return agreement


def _after_import(agreement: Agreement) -> None:
    """The clocks an agreement at this state would have running now: an agreement under review
    gets its coordination round; one in force gets the reporting obligations still ahead."""
    if agreement.state in REVIEW_STATES:
        coordination_round_open(
            agreement=agreement,
            stage=CoordinationStage.RAD if agreement.state == State.RAD_REVIEW else CoordinationStage.RFA,
        )
    if agreement.state == State.IN_FORCE:
        from .services import _open_obligations

        _open_obligations(agreement)
        # Obligations whose deadline passed before the portal knew the agreement are not invented.
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


class _Rollback(Exception):
    pass


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
    try:
        with transaction.atomic():
            ctx = _Ctx(user, filename, _Lookups.load())
            ordered = _order(rows)
            for done, row in enumerate(ordered, start=1):
                try:
                    with transaction.atomic():
                        agreement = _import_row(row, ctx)
                        if row.problems:
                            raise _Rollback
                except _Rollback:
                    pass
                except IntegrityError as exc:
                    row.add("", f"The database refused the row: {exc.__class__.__name__}.")
                except ValidationError as exc:
                    _add_validation_error(row, exc)
                if row.problems:
                    row.action = "error"
                    row.reference = ""
                    ctx.bad_keys.update(
                        k for k in (row.values.get("reference"), row.values.get("external_reference")) if k
                    )
                elif agreement is not None:
                    for key in (agreement.reference, agreement.external_reference):
                        if key:
                            ctx.created[key] = agreement
                if progress and (done % 100 == 0 or done == len(ordered)):
                    progress(done, len(ordered))
            for year, number in ctx.max_number.items():
                counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
                if counter.last < number:
                    counter.last = number
                    counter.save(update_fields=["last"])
            if dry_run or (result.errors and not valid_only):
                raise _Rollback
            result.committed = True
    except _Rollback:
        result.committed = False
    return result
