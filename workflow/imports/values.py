"""Cell values read as dates, choices and yes/no, and the reference data one import run looks
up (partners, organizations, existing references and parents) in a few queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from agreements.models import (
    Agreement,
)
from partners.models import Organization, Partner

from .reading import ImportRow


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
    parent_partners: dict[int, list[Partner]]  # by the stored parent's id
    parent_partner_ids: dict[int, set[int]]

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
        parent_partners: dict[int, list[Partner]] = {}
        for parent in Agreement.objects.filter(
            Q(reference__in=wanted) | Q(external_reference__in=wanted)
        ).prefetch_related("participants__partner"):
            parents[parent.reference] = parent
            if parent.external_reference:
                parents[parent.external_reference] = parent
            parent_partners[parent.pk] = [p.partner for p in parent.participants.all()]
        return cls(
            partners=partners,
            organizations=organizations,
            existing_references=existing_references,
            existing_external=existing_external,
            parents=parents,
            parent_partners=parent_partners,
            parent_partner_ids={pk: {p.pk for p in partners} for pk, partners in parent_partners.items()},
        )


def _dated_pairs(row: ImportRow, key: str, parse: Callable[[str], object]) -> dict[str, object]:
    """``GBR 2024-03-01; FRA 2024-03-05`` → {"GBR": date, …} (or amounts, with ``parse``)."""
    pairs = {}
    for part in _split(row.values.get(key, "")):
        code, _, rest = part.replace("=", " ").replace(":", " ").partition(" ")
        try:
            pairs[code.strip().upper()] = parse(rest.strip())
        except (ValueError, InvalidOperation):
            row.add(key, f"“{part}” is not a partner code followed by a date.")
    return pairs


# The United States contributes too (agreements.lifecycle.contributions_entered): in the
# contribution totals it is written USA, as the export writes it, or US, U.S. or United States.
UNITED_STATES_CODE = "USA"
UNITED_STATES_NAMES = {"USA", "US", "U.S.", "U.S.A.", "UNITED STATES"}
_PARTY_AMOUNT = re.compile(r"^\s*(?P<party>[A-Za-z][A-Za-z .]*?)\s*[=:]?\s*(?P<amount>\$?\s*\d[\d,. ]*)$")


def _contribution_totals(row: ImportRow) -> dict[str, Decimal]:
    """``USA 2000000; GBR 1500000`` → {"USA": Decimal, "GBR": Decimal}: the total contribution in
    U.S. dollars of the United States and of each partner, by code."""
    totals: dict[str, Decimal] = {}
    for part in _split(row.values.get("contribution_totals", "")):
        match = _PARTY_AMOUNT.match(part)
        try:
            if match is None:
                raise InvalidOperation
            amount = _amount(match["amount"].replace(" ", ""))
        except (ValueError, InvalidOperation):
            row.add("contribution_totals", f"“{part}” is not a partner code (or USA) followed by an amount.")
            continue
        party = match["party"].strip().upper()
        totals[UNITED_STATES_CODE if party in UNITED_STATES_NAMES else party] = amount
    return totals


def _amount(text: str) -> Decimal:
    value = Decimal(text.replace(",", "").replace("$", ""))
    if value < 0 or not value.is_finite():
        raise InvalidOperation
    return value
