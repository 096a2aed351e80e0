"""One row checked against the model's validation and the file's own logic, without writing:
a valid row becomes a plan, an invalid one carries its problems."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from agreements.choices import (
    AgreementKind,
    AmendmentType,
    LegalAuthority,
    Marking,
    State,
    SystemPhase,
)
from agreements.lifecycle import expiration_date_reached, has_authority, master_in_force
from agreements.models import Agreement, agreement_violations
from agreements.validation import HeldInMemory
from partners.models import Partner, User

from .reading import ALL_COLUMNS, ImportRow
from .values import UNITED_STATES_CODE, _choice, _contribution_totals, _date, _dated_pairs, _Lookups, _split, _yes_no

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
# A project arrangement past these states went up for review: its master was in force then.
NOT_YET_SUBMITTED = (State.PROPOSAL, State.SSOI_DRAFTING, State.WITHDRAWN)


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
    "lead_partner": "lead_partner",
}


def _add_shared(row: ImportRow, violations: dict[str, list[str]], refused: set[str]) -> None:
    """The whole-agreement validation's sentences, each on its column; a column whose value the
    reading of the file refused already (``refused``: an unknown partner code, a parent nowhere, an
    empty title) is not judged again on a value it could not read."""
    partner_column = _partner_column(row)
    columns = {**FIELD_COLUMNS, "partner": partner_column, "partners": partner_column}
    for name, messages in violations.items():
        column = columns.get(name, "" if name == "__all__" else name)
        header = ALL_COLUMNS[column].header if column in ALL_COLUMNS else column
        if header in refused:
            continue
        for message in messages:
            if not any(p.column == header and p.message == message for p in row.problems):
                row.add(column, message)


def _partner_column(row: ImportRow) -> str:
    return "partners" if row.values.get("partners") and not row.values.get("partner_codes") else "partner_codes"


def _partners(row: ImportRow, lookups: _Lookups) -> list[Partner]:
    key = _partner_column(row)
    names = _split(row.values.get(key, ""))
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
        # The file's valid rows, for the shared validation of the rows under them (by id()).
        self._partner_ids: dict[int, set[int]] = {}
        self._children: dict[int, list[Agreement]] = defaultdict(list)
        self.held = HeldInMemory(partners_of=self._partners_of, children_of=self._children_of)

    def _partners_of(self, agreement: Agreement) -> set[int] | None:
        if id(agreement) in self._partner_ids:
            return self._partner_ids[id(agreement)]
        return self.lookups.parent_partner_ids.get(agreement.pk) if agreement.pk else None

    def _children_of(self, agreement: Agreement) -> list[Agreement]:
        return self._children.get(id(agreement), [])

    def hold(self, agreement: Agreement, partners: list[Partner]) -> None:
        """Keep a valid row's agreement for the validation of the rows that name it as parent."""
        self._partner_ids[id(agreement)] = {p.pk for p in partners}
        if agreement.parent is not None:
            self._children[id(agreement.parent)].append(agreement)


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
    parent_key = values.get("parent_reference", "").strip()
    parent_plan = ctx.planned.get(parent_key) if parent_key else None
    if parent_plan is not None:
        parent = parent_plan.agreement
    elif parent_key in ctx.bad_keys:
        row.add("parent_reference", f"The parent {parent_key} is on a row with problems.")
    elif parent_key:
        parent = lookups.parents.get(parent_key)
        if parent is None:
            row.add("parent_reference", f"The parent {parent_key} is neither in the file nor in the portal.")
    if kind == AgreementKind.SECTION_65_LOAN:
        authority = authority or LegalAuthority.AECA_65
    authority_text = values.get("authority_text", "").strip()[:200]
    if kind == AgreementKind.AMENDMENT and parent is not None:
        # As agreement_create: an amendment takes its parent's authority and, unless given, its partners.
        authority = authority or parent.authority
        authority_text = authority_text or parent.authority_text
        if not partners and not row.values.get(_partner_column(row)):
            partners = list(parent_plan.partners if parent_plan else lookups.parent_partners.get(parent.pk, []))
    lead_code = values.get("lead_partner", "").strip().upper()
    lead_partner = lookups.partners.get(lead_code) if lead_code else None
    if lead_code and lead_partner is None:
        row.add("lead_partner", f"“{lead_code}” is not a partner code the portal knows.")
    codes = {p.code for p in partners}
    signatures = _dated_pairs(row, "partner_signatures", dt.date.fromisoformat)
    for code in signatures:
        if code not in codes:
            row.add("partner_signatures", f"{code} signed but is not among the partners.")
    totals = _contribution_totals(row)
    for code in totals:
        if code != UNITED_STATES_CODE and code not in codes:
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
        authority_text=authority_text,
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
    refused = {p.column for p in row.problems}
    _state_problems(row, agreement, signatures, partners)
    since = _state_since(row, agreement)
    agreement.state_changed_at = since
    agreement.created_at = since
    if kind:
        _shared_problems(row, agreement, partners, lead_partner, ctx, refused)
    if row.problems or organization is None or not kind:
        return None
    agreement.pk = -row.number  # a placeholder, so rows naming it as their parent validate
    ctx.hold(agreement, partners)
    return _Planned(
        row=row,
        agreement=agreement,
        partners=partners,
        lead=lead_partner.code if lead_partner else partners[0].code,
        signatures=signatures,
        totals=totals,
        parent=parent_plan,
    )


def _shared_problems(
    row: ImportRow,
    agreement: Agreement,
    partners: list[Partner],
    lead_partner: Partner | None,
    ctx: _Ctx,
    refused: set[str],
) -> None:
    """The rules every door applies, asked of the agreement at the state the file records it in:
    the whole-agreement validation of the services (its parent may be a row of this file, held in
    memory); the conditions of the steps the recorded state has taken: start_ssoi's legal
    authority, expire's expiration date, and, for a project arrangement that went up for review,
    the master_in_force condition of submit_rad and signature (unless the master has lapsed since:
    it was in force then)."""
    violations = agreement_violations(
        agreement,
        partners=partners,
        lead_partner=lead_partner,
        check_parent_state=True,
        held=ctx.held,
        recorded_state=agreement.state,
    )
    _add_shared(row, violations, refused)
    state = agreement.state
    if state not in (State.PROPOSAL, State.WITHDRAWN):
        # start_ssoi's condition, for a row recorded past the proposal (its partners: above).
        _add_shared(row, {"authority": has_authority.reasons(agreement)}, refused)
    if state == State.EXPIRED:
        # expire's condition: an agreement expires only once its expiration date has come.
        _add_shared(row, {"expiration_date": expiration_date_reached.reasons(agreement)}, refused)
    master = agreement.parent
    if (
        agreement.kind == AgreementKind.PROJECT_ARRANGEMENT
        and master is not None
        and master.kind == AgreementKind.MASTER
        and state not in NOT_YET_SUBMITTED
        and master.state not in (State.EXPIRED, State.TERMINATED)
    ):
        in_force = master.state == State.IN_FORCE and not (
            master.expiration_date and master.expiration_date <= timezone.localdate()
        )
        column = "expiration_date" if in_force else "state"
        _add_shared(row, {column: master_in_force.reasons(agreement)}, refused)


def _is_amendment(row: ImportRow) -> bool:
    kind = row.values.get("kind", "").strip().lower()
    return kind in (AgreementKind.AMENDMENT.value, AgreementKind.AMENDMENT.label.lower())


def _order(rows: list[ImportRow]) -> list[ImportRow]:
    """Parents before the rows that name them, and amendments last: an extension is checked
    against every project arrangement of the file under the master it extends."""
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

    return sorted(rows, key=lambda r: (_is_amendment(r), level(r), r.number))
