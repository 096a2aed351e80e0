"""The guided proposal form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from .. import services
from ..choices import AgreementKind
from ..forms import AgreementCreateForm, apply_service_error
from ..selectors import agreements_visible_to, parent_candidates


# --- new proposal -----------------------------------------------------------------------------
def _parent_options(user):
    """The parent candidates (the selector the service applies), and for which kinds each may be
    the parent, so the form offers only fitting parents for the kind chosen."""
    parents = parent_candidates(user).order_by("reference")
    kinds: dict[int, list[str]] = {}
    for kind in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        for pk in parent_candidates(user, kind).values_list("pk", flat=True):
            kinds.setdefault(pk, []).append(kind)
    return parents, kinds


@login_required
def agreement_create(request):
    """The guided proposal form; the service and the model say what is wrong."""
    if not request.user.is_program_office:
        raise PermissionDenied("Only a program office may propose an agreement.")
    parents, parent_kinds = _parent_options(request.user)
    form = AgreementCreateForm(
        request.POST or None,
        parents=parents,
        parent_kinds=parent_kinds,
        parent_lookup=agreements_visible_to(request.user),
        organization=request.user.organization,
        initial={"kind": request.GET.get("kind", AgreementKind.MASTER)},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                agreement = services.agreement_create(
                    user=request.user,
                    kind=data["kind"],
                    title=data["title"],
                    partners=data["partners"],
                    lead_partner=data["lead_partner"],
                    short_title=data["short_title"],
                    parent=data["parent"],
                    phase=data["phase"],
                    authority=data["authority"],
                    authority_text=data["authority_text"],
                    effective_date=data["effective_date"],
                    expiration_date=data["expiration_date"],
                    releasable_to_partners=data["releasable_to_partners"],
                    internal_notes=data["internal_notes"],
                    amendment_type=data["amendment_type"],
                    new_expiration_date=data["new_expiration_date"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Proposal {agreement.reference} is created. Next: start the SSOI.")
                return redirect("agreement_detail", reference=agreement.reference)
    return render(request, "agreements/create.html", {"form": form}, status=status)
