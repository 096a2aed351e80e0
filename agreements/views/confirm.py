"""Confirm before deleting: one view for every destructive action of an agreement's tabs. The
first request (a GET, or a POST without ``confirmed``) shows what would be removed; a POST with
``confirmed=yes`` removes it through the service and returns to the tab."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from .frame import agreement_for, dod_only


@dataclass(frozen=True)
class Removal:
    """What one destructive action removes: rows of ``model`` belonging to the agreement, told to
    the user by ``describe``, removed by ``remove(target, user)``, from the tab ``back``; the
    action's own route is ``route``."""

    route: str
    model: type
    describe: Callable[[Any], str]
    remove: Callable[[Any, Any], Any]
    back: str


def confirm_delete_view(removal: Removal) -> Callable[..., HttpResponse]:
    """The view for ``removal``, routed as ``…/<int:pk>/<verb>/``."""

    @login_required
    def view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        dod_only(request)
        agreement = agreement_for(request, reference)
        target = get_object_or_404(removal.model, pk=pk, agreement=agreement)
        description = removal.describe(target)
        context = {
            "agreement": agreement,
            "target": target,
            "description": description,
            "confirm_url": reverse(removal.route, kwargs={"reference": agreement.reference, "pk": target.pk}),
            "cancel_url": reverse(removal.back, kwargs={"reference": agreement.reference}),
        }
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            try:
                removal.remove(target, request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 403 if isinstance(exc, PermissionDenied) else 400
                return render(request, "agreements/confirm.html", context, status=status)
            messages.success(request, f"Removed {description}.")
            return redirect(removal.back, reference=agreement.reference)
        return render(request, "agreements/confirm.html", context)

    return view
