"""Saving the agreement list's filters under a name, and deleting a saved view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import services
from ..models import SavedView


@login_required
@require_POST
def saved_view_create(request):
    """Save the filters the list shows now (posted as ``query``) under a name."""
    query = QueryDict(request.POST.get("query", "")[:2000])
    try:
        view = services.saved_view_create(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=query,
            shared_with_team=request.POST.get("shared_with_team") == "on",
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(reverse("agreement_list") + ("?" + query.urlencode() if query else ""))
    messages.success(
        request,
        f"The view “{view.name}” is saved{' and shared with the review team' if view.shared_with_team else ''}.",
    )
    return redirect(reverse("agreement_list") + ("?" + view.query if view.query else ""))


@login_required
@require_POST
def saved_view_delete(request, pk: int):
    """Delete one of the user's own saved views."""
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    services.saved_view_delete(view=view, user=request.user)
    messages.success(request, f"The view “{view.name}” is deleted.")
    return redirect("agreement_list")
