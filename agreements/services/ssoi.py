"""The SSOI, section by section, and its review after negotiation began."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from icp_portal.model_update import fields_allowed_check, model_update
from partners.models import User

from ..choices import State
from ..models import SSOI, Agreement
from .access import SSOI_FIELDS, _require_edit


@transaction.atomic
def ssoi_update(*, agreement: Agreement, user: User, **sections: Any) -> SSOI:
    """Save SSOI sections (a draft may be saved incomplete; completeness is checked at submit)."""
    refusal = "Unknown SSOI sections: {unknown}."
    fields_allowed_check(sections, SSOI_FIELDS, refusal)
    agreement = _require_edit(agreement, user)
    ssoi, _ = SSOI.objects.select_for_update().get_or_create(agreement=agreement)
    texts = {name: value.strip() if isinstance(value, str) else value for name, value in sections.items()}
    return model_update(ssoi, user=user, fields=texts, allowed=SSOI_FIELDS, refusal=refusal)


@transaction.atomic
def ssoi_confirm_reviewed(*, agreement: Agreement, user: User) -> SSOI:
    """The program office confirms, deliberately, that it reviewed the SSOI after negotiation
    began and that it still holds. Counts for the RFA like an edit does (``submit_rfa``)."""
    _require_edit(agreement, user)
    if agreement.state != State.NEGOTIATION:
        raise ValidationError(
            f"The SSOI is confirmed as reviewed during negotiation; {agreement.reference} is "
            f"{State(agreement.state).label}."
        )
    ssoi, _ = SSOI.objects.select_for_update().get_or_create(agreement=agreement)
    ssoi.reviewed_at = timezone.now()
    ssoi.reviewed_by = user
    ssoi._history_user = user
    ssoi._change_reason = "SSOI confirmed as reviewed after negotiation"
    ssoi.save(update_fields=["reviewed_at", "reviewed_by"])
    return ssoi
