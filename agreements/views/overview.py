"""The overview tab: the record, its partners and dates, the signatures; the program office edits it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from .. import services
from ..forms import AgreementEditForm
from ..models import Agreement
from ..selectors import agreements_visible_to, liaison_agreement_facts
from .frame import agreement_for, form_failure, tab_page


def _signature_panel(agreement: Agreement, user) -> dict | None:
    """After the first signature: who has signed (the United States included) and who is still
    outstanding, with the signatory expected for each. Liaisons are left to the partner view."""
    participants = list(agreement.participants.all())
    if user.is_liaison or not (agreement.us_signature_date or any(p.signature_date for p in participants)):
        return None
    rows = [
        {
            "party": "United States",
            "date": agreement.us_signature_date,
            "name": agreement.us_signatory_name,
            "title": agreement.us_signatory_title,
        }
    ] + [
        {"party": p.partner.name, "date": p.signature_date, "name": p.signatory_name, "title": p.signatory_title}
        for p in participants
    ]
    return {"rows": rows, "signed_count": sum(1 for r in rows if r["date"])}


@login_required
def agreement_detail(request, reference: str):
    """Overview: the record, its partners and dates; the program office may edit it."""
    agreement = agreement_for(request, reference)
    form = None
    status = 200
    if request.user.is_dod and not services.agreement_edit_denial(agreement, request.user, substance=False):
        form = AgreementEditForm(request.POST or None, instance=Agreement.objects.get(pk=agreement.pk))
        if request.method == "POST":
            status = 400
            if form.is_valid():
                fields = {name: form.cleaned_data[name] for name in form.changed_data}
                try:
                    if fields:
                        services.agreement_update(agreement=agreement, user=request.user, **fields)
                except (ValidationError, PermissionDenied) as exc:
                    status = form_failure(form, exc)
                else:
                    messages.success(request, "The agreement is saved." if fields else "Nothing changed.")
                    return redirect("agreement_detail", reference=reference)
    elif request.method == "POST":
        raise PermissionDenied("You may not edit this agreement.")
    children = agreements_visible_to(request.user).filter(parent=agreement).order_by("reference")[:50]
    extra = {"form": form, "children": children, "signature_panel": _signature_panel(agreement, request.user)}
    if request.user.is_liaison:
        extra.update(liaison_agreement_facts(agreement, request.user))
    return tab_page(request, agreement, "overview", "agreements/detail_overview.html", extra, status)
