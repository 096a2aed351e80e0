"""The SSOI tab: the structured sections, saved one at a time (htmx) or all at once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from .. import services
from ..choices import State
from ..forms import SsoiForm
from ..models import SSOI, Agreement
from .frame import agreement_for, dod_only, form_failure, tab_page


def _ssoi_of(agreement: Agreement) -> SSOI:
    """The agreement's SSOI, or an unsaved empty one: reading never writes (ssoi_update creates
    the row on the first save)."""
    return SSOI.objects.filter(agreement=agreement).first() or SSOI(agreement=agreement)


def _ssoi_form(ssoi: SSOI, data=None, only: tuple[str, ...] | None = None) -> SsoiForm:
    """The SSOI form with the fields of this agreement's template variant (or of one section)."""
    instance = SSOI.objects.get(pk=ssoi.pk) if ssoi.pk else SSOI(agreement=ssoi.agreement)
    form = SsoiForm(data, instance=instance)
    shown = {name for section in ssoi.sections() for name in section.fields} | {"ddl_notes"}
    if only is not None:
        shown &= set(only)
    for name in list(form.fields):
        if name not in shown:
            del form.fields[name]  # fields of the other template variant are left untouched
    return form


def _section_fields(section) -> tuple[str, ...]:
    return (*section.fields, "ddl_notes") if section.key == "ddl_status" else tuple(section.fields)


def _ssoi_sections(ssoi: SSOI, form: SsoiForm) -> list[dict]:
    sections = []
    for section in ssoi.sections():
        fields = [form[name] for name in _section_fields(section) if name in form.fields]
        sections.append({"section": section, "complete": section.is_complete(ssoi), "fields": fields})
    return sections


def _ssoi_progress(ssoi: SSOI) -> dict:
    done, total = ssoi.completeness()
    return {"done": done, "total": total, "percent": round(100 * done / total) if total else 0}


def _ssoi_review(agreement: Agreement, ssoi: SSOI) -> dict | None:
    """During negotiation: whether the SSOI was updated or confirmed since negotiation began."""
    if agreement.state != State.NEGOTIATION:
        return None
    since = agreement.state_changed_at
    return {
        "since": since,
        "updated": bool(ssoi.updated_at and ssoi.updated_at >= since),
        "confirmed": ssoi.reviewed_at if ssoi.reviewed_at and ssoi.reviewed_at >= since else None,
        "confirmed_by": ssoi.reviewed_by,
    }


@login_required
def agreement_ssoi(request, reference: str):
    """The SSOI by section, with a completeness bar; each section saves on its own (htmx), and a
    POST of the whole form saves every changed section (the form without JavaScript)."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    ssoi = _ssoi_of(agreement)
    can_edit = services.agreement_edit_denial(agreement, request.user) is None
    form = _ssoi_form(ssoi, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                if changed:
                    services.ssoi_update(agreement=agreement, user=request.user, **changed)
            except (ValidationError, PermissionDenied) as exc:
                status = form_failure(form, exc)
            else:
                messages.success(request, "The SSOI is saved." if changed else "Nothing changed in the SSOI.")
                return redirect("agreement_ssoi", reference=reference)
    return tab_page(
        request,
        agreement,
        "ssoi",
        "agreements/detail_ssoi.html",
        {
            "form": form,
            "sections": _ssoi_sections(ssoi, form),
            "can_edit": can_edit,
            "review": _ssoi_review(agreement, ssoi),
            "ddl": services.ddl_for(agreement),
            **_ssoi_progress(ssoi),
        },
        status,
    )


@login_required
def agreement_ssoi_section(request, reference: str, key: str):
    """Save one SSOI section. With htmx the section comes back in place, with the completeness
    bar; without JavaScript the browser returns to the SSOI page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    dod_only(request)
    agreement = agreement_for(request, reference)
    ssoi = _ssoi_of(agreement)
    section = next((s for s in ssoi.sections() if s.key == key), None)
    if section is None or not _section_fields(section):
        raise Http404("No such SSOI section.")
    form = _ssoi_form(ssoi, request.POST, only=_section_fields(section))
    status, saved = 400, None
    if form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if changed:
                ssoi = services.ssoi_update(agreement=agreement, user=request.user, **changed)
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            status = 200
            saved = "saved" if changed else "unchanged"
    if not request.htmx:
        if status == 200:
            messages.success(request, f"“{section.label}” is saved." if saved == "saved" else "Nothing changed.")
            return redirect(f"{reverse('agreement_ssoi', kwargs={'reference': reference})}#section-{key}")
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('agreement_ssoi', kwargs={'reference': reference})}#section-{key}")
    ssoi = _ssoi_of(agreement)
    item = {
        "section": section,
        "complete": section.is_complete(ssoi),
        "fields": [form[n] for n in form.fields],
        "errors": form.non_field_errors(),
    }
    return render(
        request,
        "agreements/_ssoi_section_saved.html",
        {
            "agreement": agreement,
            "item": item,
            "can_edit": True,
            "saved": saved or "error",
            "saved_at": timezone.localtime(),
            "ddl": services.ddl_for(agreement),
            "review": _ssoi_review(agreement, ssoi),
            **_ssoi_progress(ssoi),
        },
        status=status,
    )


@login_required
def agreement_ssoi_confirm_review(request, reference: str):
    """The program office confirms the SSOI was reviewed after negotiation began and still holds."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    dod_only(request)
    agreement = agreement_for(request, reference)
    try:
        services.ssoi_confirm_reviewed(agreement=agreement, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "You may not do this.")
        return redirect("agreement_ssoi", reference=reference)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("agreement_ssoi", reference=reference)
    messages.success(request, "The SSOI is confirmed as reviewed since negotiation began; it counts for the RFA.")
    return redirect(f"{reverse('agreement_ssoi', kwargs={'reference': reference})}#ssoi-review")
