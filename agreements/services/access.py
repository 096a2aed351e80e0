"""Who may edit an agreement's record now, and the fields each role may edit."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from partners.models import User

from ..choices import PROGRAM_OFFICE_EDITABLE_STATES, State
from ..models import SSOI, Agreement

# Fields a program office may edit while it holds the pen.
AGREEMENT_EDITABLE_FIELDS = (
    "title",
    "short_title",
    "phase",
    "authority",
    "authority_text",
    "effective_date",
    "fixed_entry_into_force_date",
    "expiration_date",
    "marking",
    "releasable_to_partners",
    "internal_notes",
    "action_officer",
    "amendment_type",
    "new_expiration_date",
)
# Still editable after the pen has passed (record-keeping, not substance).
AGREEMENT_ALWAYS_EDITABLE_FIELDS = ("releasable_to_partners", "internal_notes", "marking", "action_officer")
SSOI_FIELDS = tuple(
    f.name
    for f in SSOI._meta.get_fields()
    if f.concrete and f.name not in ("id", "agreement", "updated_at", "reviewed_at", "reviewed_by")
)


def agreement_edit_denial(agreement: Agreement, user: User, *, substance: bool = True) -> str | None:
    """Why ``user`` may not edit the agreement's record now (None when it may)."""
    if not user.is_program_office or user.organization_id != agreement.lead_organization_id:
        return f"Only the program office of {agreement.lead_organization} may edit this agreement."
    if substance and agreement.state not in PROGRAM_OFFICE_EDITABLE_STATES:
        return f"The agreement is {State(agreement.state).label}: the program office does not hold the pen."
    return None


def _require_edit(agreement: Agreement, user: User, *, substance: bool = True) -> Agreement:
    """Lock the agreement's row, then check that ``user`` holds the pen on the locked row (so a
    transition committed meanwhile is seen). Returns the locked row."""
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    denial = agreement_edit_denial(locked, user, substance=substance)
    if denial:
        raise PermissionDenied(denial)
    return locked


def _save(instance: models.Model, user: User | None) -> None:
    instance._history_user = user
    instance.full_clean()
    instance.save()
