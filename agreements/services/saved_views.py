"""Saved views: a user's named filters of the agreement list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict

from partners.models import User

from ..models import SavedView

# --- saved views ------------------------------------------------------------------------------
SAVED_VIEW_KEYS = (
    "q",
    "kind",
    "state",
    "status",
    "authority",
    "partner",
    "organization",
    "effective_after",
    "effective_before",
    "expires_after",
    "expires_before",
    "created_after",
    "created_before",
    "ordering",
    "scope",
)


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query: QueryDict, shared_with_team: bool = False) -> SavedView:
    """Save the list's current filters under a name (the same name again replaces the view).
    Only a reviewer shares a view, with the other reviewers."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the view."})
    if len(name) > 80:
        raise ValidationError({"name": "A view's name has at most 80 characters."})
    if shared_with_team and not owner.is_reviewer:
        raise PermissionDenied("Only a reviewer shares views with the review team.")
    pairs = [(key, value) for key in SAVED_VIEW_KEYS for value in query.getlist(key) if value]
    encoded = urlencode(pairs)
    if len(encoded) > 1000:
        raise ValidationError({"query": "These filters are too long to save."})
    view, _ = SavedView.objects.update_or_create(
        owner=owner, name=name, defaults={"query": encoded, "shared_with_team": shared_with_team}
    )
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user: User) -> None:
    """Delete a saved view; only its owner may."""
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the person who saved a view may delete it.")
    view.delete()
