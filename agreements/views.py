"""Browser pages of agreements: the role-aware home, the list with filters and exports, the
proposal form and the agreement page with its tabs and lifecycle actions. Views parse input,
call a service and present its answer; no rule lives here."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from icp_portal.forms_ids import posted_id
from icp_portal.pagination import Paginator
from icp_portal.security import events as security_events
from icp_portal.security.models import Outcome
from icp_portal.security.uploads import download_content_type
from partners.models import CoordinatingOffice, Organization, Partner
from workflow import services as workflow_services
from workflow.exceptions import LifecycleError
from workflow.models import CoordinationRound
from workflow.pdf import export_request
from workflow.selectors import (
    obligations_visible_to,
    open_return,
    open_returns,
    positions_visible_to,
    stage_durations,
    submission_summary,
    transition_logs_visible_to,
)
from workflow.transitions import EVENT_POSITION_REMINDED, TRANSITION_INFO, TRANSITION_NAMES, event_label
from workflow.views import coordination_url, obligation_for

from . import exports, services
from .choices import LIFECYCLE_STEPS, TERMINAL_STATES, AgreementKind, DocumentKind, State
from .forms import (
    AgreementCreateForm,
    AgreementEditForm,
    CongressionalNoticeForm,
    ContributionForm,
    CoordinationOfficesForm,
    DdlDecisionForm,
    DocumentUpdateForm,
    DocumentUploadForm,
    LoanItemForm,
    ObligationCompleteForm,
    ParticipantAddForm,
    ParticipantUpdateForm,
    SignatureForm,
    SsoiForm,
    TransitionForm,
    apply_service_error,
)
from .models import SSOI, Agreement, Contribution, Document, LoanItem, Participant, document_release_denial
from .partner_status import PartnerStatus, partner_steps
from .selectors import (
    agreements_listed,
    agreements_visible_to,
    documents_visible_to,
    equitability_table,
    liaison_agreement_facts,
    parent_candidates,
    saved_views_for,
)

PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 50
HISTORY_CHANGES_CAP = 100
DOD_TABS = (
    ("overview", "Overview", "agreement_detail"),
    ("ssoi", "SSOI", "agreement_ssoi"),
    ("participants", "Participants and contributions", "agreement_participants"),
    ("documents", "Documents", "agreement_documents"),
    ("coordination", "Coordination", "agreement_coordination"),
    ("history", "History", "agreement_history"),
)
LIAISON_TABS = (
    ("overview", "Overview", "agreement_detail"),
    ("documents", "Documents", "agreement_documents"),
)


# --- home -------------------------------------------------------------------------------------
@login_required
def home(request):
    """Send each role to where its work is."""
    user = request.user
    if user.is_liaison:
        return redirect("liaison_dashboard")
    if user.is_program_office:
        return redirect("agreement_list")
    if user.is_reviewer:
        return redirect("review_queue")
    if user.is_coordinator:
        return redirect("positions_due")
    return redirect("dashboard")


# --- list and exports -------------------------------------------------------------------------
def _filtered_agreements(request):
    """The visible agreements, scoped and filtered as the query string asks."""
    return agreements_listed(request.user, request.GET, request=request)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def agreement_list(request):
    """“My agreements” for a program office; every visible agreement for other roles."""
    filterset, queryset, scope = _filtered_agreements(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    returns = open_returns(page.object_list, request.user)
    for agreement in page.object_list:
        agreement.open_return = returns.get(agreement.pk)
    selected = {name: request.GET.getlist(name) for name in ("kind", "state", "status", "partner", "organization")}
    liaison = request.user.is_liaison
    context = {
        "page": page,
        "filterset": filterset,
        "scope": scope,
        "selected": selected,
        "kinds": AgreementKind.choices,
        # A liaison filters by partner-facing status, never by internal state.
        "state_param": "status" if liaison else "state",
        "states": PartnerStatus.choices if liaison else State.choices,
        "partners": Partner.objects.filter(active=True).only("code", "name"),
        "organizations": Organization.objects.all(),
        "query": request.GET,
        "sort_options": [
            ("-created_at", "Newest first"),
            ("reference", "Reference"),
            ("title", "Title (A–Z)"),
            *([] if liaison else [("state", "State"), ("-state_changed_at", "Recently changed")]),
            ("expiration_date", "Expiring soonest"),
            ("effective_date", "Effective date"),
        ],
        "filtered": any(request.GET.get(k) for k in request.GET if k not in ("page", "ordering", "scope")),
        "saved_views": saved_views_for(request.user),
        "current_query": _query_without_page(request),
    }
    template = "agreements/_list_results.html" if request.htmx else "agreements/list.html"
    return render(request, template, context)


@login_required
def agreement_export(request, fmt: str):
    """The filtered list (every page) as CSV or XLSX: streamed (CSV) or written to a temporary
    file (XLSX) up to a size, a background job past it (the page follows the job's progress)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Export as csv or xlsx.")
    _filterset, queryset, _scope = _filtered_agreements(request)
    limit = settings.EXPORT_CSV_STREAM_MAX_ROWS if fmt == "csv" else settings.EXPORT_SYNC_MAX_ROWS
    if queryset.count() > limit:
        job = export_request(user=request.user, fmt=fmt, query=request.GET.urlencode())
        messages.info(
            request, "This export is large: it is prepared in the background. Download it here when it is ready."
        )
        return redirect("render_status", pk=job.pk)
    if fmt == "csv":
        return exports.csv_response(queryset, request.user)
    return exports.xlsx_response(queryset, request.user, settings.PORTAL_MARKING)


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


# --- the agreement page -----------------------------------------------------------------------
def _agreement_for(request, reference: str) -> Agreement:
    queryset = (
        agreements_visible_to(request.user)
        .select_related("lead_organization", "parent", "action_officer")
        .prefetch_related("participants__partner")
    )
    return get_object_or_404(queryset, reference=reference)


def _stepper(agreement: Agreement) -> list[dict]:
    """The main line of the lifecycle, where the agreement stands, and days in each stage."""
    durations = stage_durations(agreement)
    steps = [
        s
        for s in LIFECYCLE_STEPS
        if (s != State.CONGRESSIONAL_WAIT or agreement.needs_congressional_notice or durations.get(s))
        and (s != State.SIGNED or agreement.fixed_entry_into_force_date or durations.get(s))
    ]
    if agreement.state in LIFECYCLE_STEPS:
        current_index = steps.index(agreement.state) if agreement.state in steps else -1
    else:  # ended: the last stage it spent time in
        visited = [i for i, s in enumerate(steps) if durations.get(s)]
        current_index = (visited[-1] + 1) if visited else 0
    result = []
    for index, state in enumerate(steps):
        span = durations.get(state)
        status = "complete" if index < current_index else "current" if index == current_index else "upcoming"
        if agreement.state == State.IN_FORCE and state == State.IN_FORCE:
            status = "current"
        result.append(
            {
                "state": state,
                "label": State(state).label,
                "status": status,
                "days": span.days if span is not None else None,
            }
        )
    return result


SUBMISSIONS = ("submit_rad", "submit_rfa")


def _fix_href(agreement: Agreement, fix) -> str | None:
    """The link to the tab and field that fixes one reason (see workflow.rules.REASON_FIXES)."""
    if fix is None:
        return None
    route, query, anchor = fix
    url = reverse(route, kwargs={"reference": agreement.reference})
    return f"{url}{'?' + query if query else ''}{'#' + anchor if anchor else ''}"


def _actions(agreement: Agreement, user) -> list:
    if user.is_liaison:
        return []
    options = [
        o
        for o in workflow_services.available_transitions(agreement, user)
        if not (o.system_only or (o.name == "end_congressional_wait" and not user.is_reviewer and not o.allowed))
    ]
    for option in options:
        option.links = [{"text": reason, "href": _fix_href(agreement, fix)} for reason, fix in option.fixes]
        option.confirm = option.name in SUBMISSIONS
        option.dialog = (
            option.comment_required or option.destructive or option.confirm or (option.name == "record_signature")
        )
    return options


def _page(request, agreement: Agreement, tab: str, template: str, context: dict, status: int = 200):
    user = request.user
    actions = _actions(agreement, user)
    context = {
        "agreement": agreement,
        "tab": tab,
        "tabs": LIAISON_TABS if user.is_liaison else DOD_TABS,
        # A liaison's stepper shows partner-facing statuses only: no internal stage, no duration.
        "steps": partner_steps(agreement.state) if user.is_liaison else _stepper(agreement),
        "actions": actions,
        "open_return": open_return(agreement, user),
        "submission": next(
            (submission_summary(agreement, o.name) for o in actions if o.confirm and o.allowed),
            None,
        ),
        "edit_denial": services.agreement_edit_denial(agreement, user) if user.is_dod else "read only",
        "terminal": agreement.state in TERMINAL_STATES,
        **context,
    }
    return render(request, template, context, status=status)


class _Refused(Exception):
    """A refusal already told to the user (as a message): only its HTTP status remains."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such item.") from None


def _dod_only(request) -> None:
    if request.user.is_liaison:
        raise Http404("No such page.")


def _fail(form, exc) -> int:
    """Put a service error on the form and return the HTTP status it deserves."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You may not do this.")
        return 403
    apply_service_error(form, exc)
    return 400


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
    agreement = _agreement_for(request, reference)
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
                    status = _fail(form, exc)
                else:
                    messages.success(request, "The agreement is saved." if fields else "Nothing changed.")
                    return redirect("agreement_detail", reference=reference)
    elif request.method == "POST":
        raise PermissionDenied("You may not edit this agreement.")
    children = agreements_visible_to(request.user).filter(parent=agreement).order_by("reference")[:50]
    extra = {"form": form, "children": children, "signature_panel": _signature_panel(agreement, request.user)}
    if request.user.is_liaison:
        extra.update(liaison_agreement_facts(agreement, request.user))
    return _page(request, agreement, "overview", "agreements/detail_overview.html", extra, status)


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
    _dod_only(request)
    agreement = _agreement_for(request, reference)
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
                status = _fail(form, exc)
            else:
                messages.success(request, "The SSOI is saved." if changed else "Nothing changed in the SSOI.")
                return redirect("agreement_ssoi", reference=reference)
    return _page(
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
    _dod_only(request)
    agreement = _agreement_for(request, reference)
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
            status = _fail(form, exc)
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
    _dod_only(request)
    agreement = _agreement_for(request, reference)
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


def _participants_context(agreement, user, **forms):
    participants = list(agreement.participants.select_related("partner").prefetch_related("contributions"))
    table = equitability_table(agreement)
    context = {
        "participants": participants,
        "us_contributions": list(agreement.contributions.filter(participant__isnull=True)),
        "table": table,
        "grand_total": sum(r["total"] for r in table),
        "chart": {
            "title": "Share of contributions",
            "labels": [r["name"] for r in table],
            "values": [float(r["total"]) for r in table],
            "axis": "US dollars",
            "horizontal": True,
            "format": "usd",
        },
        "loan_items": list(agreement.loan_items.all()) if agreement.is_section_65 else [],
        "can_edit": services.agreement_edit_denial(agreement, user) is None,
        "can_edit_signatories": services.agreement_edit_denial(agreement, user, substance=False) is None,
        "participant_update_forms": {
            p.pk: ParticipantUpdateForm(
                prefix=f"p{p.pk}",
                initial={"role": p.role, "signatory_name": p.signatory_name, "signatory_title": p.signatory_title},
            )
            for p in participants
        },
        "contribution_form": ContributionForm(participants=participants),
        "participant_form": ParticipantAddForm(),
        "loan_form": LoanItemForm(),
    }
    context.update(forms)
    return context


@login_required
def agreement_participants(request, reference: str):
    """Participants, contributions with the equitability table and chart, and the loan list."""
    _dod_only(request)
    agreement = _agreement_for(request, reference)
    if request.method != "POST":
        return _page(
            request,
            agreement,
            "participants",
            "agreements/detail_participants.html",
            _participants_context(agreement, request.user),
        )
    action = request.POST.get("action")
    user = request.user
    participants = list(agreement.participants.select_related("partner"))
    back = redirect("agreement_participants", reference=reference)
    try:
        if action == "add_contribution":
            form = ContributionForm(request.POST, participants=participants)
            form_name = "contribution_form"
            if form.is_valid():
                choice = form.cleaned_data["participant"]
                participant = next((p for p in participants if str(p.pk) == choice), None)
                data = {
                    k: form.cleaned_data[k]
                    for k in ("kind", "description", "valuation_basis", "amount_usd", "fiscal_year")
                }
                services.contribution_add(participant=participant, agreement=agreement, user=user, **data)
                party = participant.partner.name if participant else "the United States"
                messages.success(request, f"The contribution of {party} is added.")
                return back
        elif action == "add_participant":
            form = ParticipantAddForm(request.POST)
            form_name = "participant_form"
            if form.is_valid():
                services.participant_add(agreement=agreement, user=user, partner=form.cleaned_data["partner"])
                messages.success(request, f"{form.cleaned_data['partner'].name} now takes part.")
                return back
        elif action == "update_participant":
            return _participant_update(request, agreement, participants)
        elif action == "add_loan_item":
            form = LoanItemForm(request.POST)
            form_name = "loan_form"
            if form.is_valid():
                services.loan_item_add(agreement=agreement, user=user, **form.cleaned_data)
                messages.success(request, "The loan item is added.")
                return back
        elif action in ("delete_contribution", "remove_participant", "delete_loan_item"):
            return _confirm_delete(request, agreement, action)
        else:
            raise Http404("Unknown action.")
    except (ValidationError, PermissionDenied) as exc:
        status = _fail(form, exc)
    else:
        status = 400
    return _page(
        request,
        agreement,
        "participants",
        "agreements/detail_participants.html",
        _participants_context(agreement, user, **{form_name: form}),
        status,
    )


def _participant_update(request, agreement, participants):
    """Save one participant's role and expected signatory; errors stay on that participant's form."""
    participant = next((p for p in participants if str(p.pk) == request.POST.get("target")), None)
    if participant is None:
        raise Http404("That participant no longer takes part.")
    form = ParticipantUpdateForm(request.POST, prefix=f"p{participant.pk}")
    status = 400
    if form.is_valid():
        try:
            services.participant_update(participant=participant, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            status = _fail(form, exc)
        else:
            messages.success(request, f"The role and signatory of {participant.partner.name} are saved.")
            return redirect("agreement_participants", reference=agreement.reference)
    context = _participants_context(agreement, request.user)
    context["participant_update_forms"][participant.pk] = form
    return _page(request, agreement, "participants", "agreements/detail_participants.html", context, status)


def _confirm_delete(request, agreement, action):
    """Destructive actions ask first: the first POST shows a confirmation, the second deletes."""
    target_id = request.POST.get("target")
    lookup = {
        "delete_contribution": (Contribution, {"agreement": agreement}),
        "remove_participant": (Participant, {"agreement": agreement}),
        "delete_loan_item": (LoanItem, {"agreement": agreement}),
    }
    model, scope = lookup[action]
    try:
        target = model.objects.get(pk=posted_id(target_id), **scope)
    except model.DoesNotExist:
        raise Http404("It no longer exists.") from None
    description = {
        "delete_contribution": lambda t: (
            f"the contribution “{t.description}” ({t.amount_usd:,.0f} USD) of {t.party_name}"
        ),
        "remove_participant": lambda t: f"{t.partner.name} from the participants",
        "delete_loan_item": lambda t: f"the loan item “{t.item}”",
    }[action](target)
    if request.POST.get("confirmed") == "yes":
        try:
            if action == "delete_contribution":
                services.contribution_delete(contribution=target, user=request.user)
            elif action == "remove_participant":
                services.participant_remove(participant=target, user=request.user)
            else:
                services.loan_item_delete(loan_item=target, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return render(
                request,
                "agreements/confirm.html",
                {
                    "agreement": agreement,
                    "action": action,
                    "target": target,
                    "description": description,
                    "cancel_url": reverse("agreement_participants", kwargs={"reference": agreement.reference}),
                },
                status=403 if isinstance(exc, PermissionDenied) else 400,
            )
        messages.success(request, f"Removed {description}.")
        return redirect("agreement_participants", reference=agreement.reference)
    return render(
        request,
        "agreements/confirm.html",
        {
            "agreement": agreement,
            "action": action,
            "target": target,
            "description": description,
            "cancel_url": reverse("agreement_participants", kwargs={"reference": agreement.reference}),
        },
    )


@login_required
def agreement_documents(request, reference: str):
    """Documents with their versions, markings and releasability; upload and re-mark."""
    agreement = _agreement_for(request, reference)
    user = request.user
    kind = request.GET.get("kind")
    upload_form = DocumentUploadForm(
        initial={"marking": agreement.marking, "kind": kind if kind in DocumentKind.values else ""}
    )
    ddl_form = DdlDecisionForm(initial={"decision_date": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if user.is_liaison:
            raise PermissionDenied("Partner liaisons have read-only access.")
        action = request.POST.get("action")
        if action == "upload":
            upload_form = DocumentUploadForm(request.POST, request.FILES)
            status = 400
            if upload_form.is_valid():
                data = upload_form.cleaned_data
                upload = data["file"]
                try:
                    document = services.document_upload(
                        agreement=agreement,
                        user=user,
                        kind=data["kind"],
                        content=upload.read(),
                        filename=upload.name,
                        title=data["title"],
                        content_type=upload.content_type or "",
                        marking=data["marking"],
                        releasable_to_partners=data["releasable_to_partners"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    status = _fail(upload_form, exc)
                else:
                    messages.success(request, f"{document} is uploaded.")
                    return redirect("agreement_documents", reference=reference)
        elif action == "ddl_request":
            try:
                services.ddl_review_request(agreement=agreement, user=user, comment=request.POST.get("comment", ""))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, "The TS&FD review is asked for; the disclosure office decides the DDL.")
                return redirect("agreement_documents", reference=reference)
        elif action == "ddl_decide":
            ddl_form = DdlDecisionForm(request.POST, request.FILES)
            status = 400
            if ddl_form.is_valid():
                data = ddl_form.cleaned_data
                upload = data["file"]
                try:
                    services.ddl_decide(
                        agreement=agreement,
                        user=user,
                        status=data["status"],
                        decision_date=data["decision_date"],
                        comment=data["comment"],
                        content=upload.read() if upload else None,
                        filename=upload.name if upload else "",
                        content_type=(upload.content_type or "") if upload else "",
                    )
                except PermissionDenied as exc:
                    messages.error(request, str(exc))  # the decision form is not shown to this user
                    status = 403
                except ValidationError as exc:
                    status = _fail(ddl_form, exc)
                else:
                    messages.success(request, f"The DDL decision on {agreement.reference} is recorded.")
                    return redirect("agreement_documents", reference=reference)
        elif action == "update":
            document = get_object_or_404(Document, pk=posted_id(request.POST.get("document")), agreement=agreement)
            form = DocumentUpdateForm(request.POST)
            if form.is_valid():
                try:
                    services.document_update(document=document, user=user, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    status = 403 if isinstance(exc, PermissionDenied) else 400
                else:
                    messages.success(request, f"{document} is updated.")
                    return redirect("agreement_documents", reference=reference)
            else:
                messages.error(request, "Choose a marking.")
                status = 400
        elif action == "withdraw":
            document = get_object_or_404(Document, pk=_int_or_404(request.POST.get("document")), agreement=agreement)
            try:
                services.document_withdraw(document=document, user=user, reason=request.POST.get("reason", ""))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, f"{document} is withdrawn; it stays in the history.")
                return redirect("agreement_documents", reference=reference)
        else:
            raise Http404("Unknown action.")
    documents = (
        documents_visible_to(user)
        .filter(agreement=agreement)
        .select_related("uploaded_by")
        .order_by("kind", "-version")[:200]
    )
    can_upload = user.is_dod and any(
        services.document_edit_denial(agreement, user, kind) is None for kind in DocumentKind.values
    )
    return _page(
        request,
        agreement,
        "documents",
        "agreements/detail_documents.html",
        {
            "documents": documents,
            "upload_form": upload_form,
            "can_upload": can_upload,
            "can_update": user.is_dod and services.agreement_edit_denial(agreement, user, substance=False) is None,
            "markings": Document._meta.get_field("marking").choices,
            **(
                {
                    "ddl": services.ddl_for(agreement),
                    "ddl_form": ddl_form,
                    "can_request_ddl": services.ddl_request_denial(agreement, user) is None,
                    "can_decide_ddl": services.ddl_decision_denial(agreement, user) is None,
                    "release_denial": document_release_denial(agreement, DocumentKind.OTHER),
                }
                if user.is_dod
                else {}
            ),
        },
        status,
    )


@login_required
def document_download(request, reference: str, pk: int):
    """The file itself, only when the user may see the document."""
    document = (
        documents_visible_to(request.user)
        .select_related("agreement")
        .filter(pk=pk, agreement__reference=reference)
        .first()
    )
    if document is None:
        security_events.document_download(
            request,
            wanted=f"document {pk} of {reference}"[:200],
            outcome=Outcome.FAILURE,
            detail="no such document for this user",
        )
        raise Http404("No such document.")
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        security_events.document_download(
            request, document=document, outcome=Outcome.FAILURE, detail="missing from storage"
        )
        raise Http404("The file is missing from storage.") from None
    security_events.document_download(request, document=document)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name or f"document-{document.pk}",
        content_type=download_content_type(document.content_type),
    )


@login_required
def agreement_coordination(request, reference: str):
    """Coordination rounds and positions; the reviewer edits offices, records the congressional
    notice and completes reporting obligations."""
    _dod_only(request)
    agreement = _agreement_for(request, reference)
    user = request.user
    context_ = workflow_services.AuditContext.from_request(request)
    forms = {
        "offices_form": None,
        "notice_form": CongressionalNoticeForm(initial={"notice_date": timezone.localdate()}),
        "obligation_forms": {},
    }
    open_round = CoordinationRound.objects.current_for(agreement)
    if open_round is not None:
        forms["offices_form"] = CoordinationOfficesForm(
            initial={"offices": list(open_round.positions.values_list("office_id", flat=True))}
        )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        status = 400
        try:
            if action == "offices":
                form = forms["offices_form"] = CoordinationOfficesForm(request.POST)
                if form.is_valid():
                    workflow_services.coordination_offices_set(
                        agreement=agreement,
                        user=user,
                        offices=form.cleaned_data["offices"],
                        context=context_,
                    )
                    messages.success(request, "The coordinating offices are updated.")
                    return redirect(coordination_url(reference))
            elif action == "notice":
                form = forms["notice_form"] = CongressionalNoticeForm(request.POST)
                if form.is_valid():
                    workflow_services.congressional_notice_record(
                        agreement=agreement,
                        user=user,
                        notice_date=form.cleaned_data["notice_date"],
                        context=context_,
                    )
                    messages.success(request, "The congressional notice date is recorded.")
                    return redirect(coordination_url(reference))
            elif action == "remind":
                position = get_object_or_404(
                    positions_visible_to(user), pk=_int_or_404(request.POST.get("position")), round__agreement=agreement
                )
                try:
                    made = workflow_services.coordination_reminder_send(position=position, user=user, context=context_)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    raise _Refused(403 if isinstance(exc, PermissionDenied) else 400) from None
                messages.success(
                    request,
                    f"Reminder sent to {position.office.name} ({made} coordinator{'s' if made != 1 else ''}).",
                )
                return redirect(coordination_url(reference))
            elif action == "obligation":
                obligation = obligation_for(request, reference, posted_id(request.POST.get("obligation")))
                form = ObligationCompleteForm(request.POST, prefix=f"ob{obligation.pk}")
                forms["obligation_forms"][obligation.pk] = form
                if form.is_valid():
                    workflow_services.obligation_complete(
                        obligation=obligation, user=user, context=context_, **form.cleaned_data
                    )
                    messages.success(request, f"{obligation.get_kind_display()} is marked complete.")
                    return redirect(coordination_url(reference))
            else:
                raise Http404("Unknown action.")
        except (ValidationError, PermissionDenied) as exc:
            status = _fail(form, exc)
        except _Refused as refused:
            status = refused.status
    rounds = list(
        CoordinationRound.objects.filter(agreement=agreement)
        .prefetch_related(Prefetch("positions", queryset=positions_visible_to(user).order_by("office__name")))
        .order_by("-opened_at")[:20]
    )
    now = timezone.now()
    reminded = {}
    if open_round is not None and user.is_reviewer:
        for log in transition_logs_visible_to(user).filter(
            agreement=agreement, transition=EVENT_POSITION_REMINDED, timestamp__gte=open_round.opened_at
        ):
            reminded[log.data.get("office")] = log.timestamp
    for round_ in rounds:
        round_.awaiting = [
            p
            for p in round_.positions.all()
            if round_.is_open and not p.is_answered and not p.is_silent_concurrence(now)
        ]
        for position in round_.awaiting:
            position.last_reminded = reminded.get(position.office.code)
    obligations = list(obligations_visible_to(user).filter(agreement=agreement))
    for obligation in obligations:
        obligation.form = forms["obligation_forms"].get(obligation.pk) or ObligationCompleteForm(
            prefix=f"ob{obligation.pk}", initial={"completed_date": timezone.localdate()}
        )
    return _page(
        request,
        agreement,
        "coordination",
        "agreements/detail_coordination.html",
        {
            **forms,
            "rounds": rounds,
            "open_round": open_round,
            "obligations": obligations,
            "now": timezone.now(),
            "offices": CoordinatingOffice.objects.filter(active=True),
            "can_complete": workflow_services.obligation_complete_denial(agreement, user) is None,
        },
        status,
    )


def _field_label(field) -> str:
    label = str(field.verbose_name)
    return "U.S. " + label[3:] if label.lower().startswith("us ") else label[:1].upper() + label[1:]


def _display(value) -> str:
    if value in (None, ""):
        return "—"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _field_changes(agreement: Agreement, newer_than=None, up_to=None) -> list[dict]:
    """Field changes from django-simple-history, newest first: those made after ``newer_than``
    and up to ``up_to`` (either open), at most HISTORY_CHANGES_CAP records of them."""
    history = agreement.history.select_related("history_user").order_by("-history_date", "-history_id")
    if up_to is not None:
        history = history.filter(history_date__lte=up_to)
    if newer_than is None:
        records = list(history[: HISTORY_CHANGES_CAP + 1])
    else:
        records = list(history.filter(history_date__gt=newer_than)[:HISTORY_CHANGES_CAP])
        # The record just before the window, to tell what the window's oldest change changed.
        before = history.filter(history_date__lte=newer_than).first()
        if before is not None:
            records.append(before)
    entries = []
    for newer, older in zip(records, records[1:], strict=False):
        delta = newer.diff_against(older)
        changes = []
        for change in delta.changes:
            if change.field == "state":
                continue
            field = Agreement._meta.get_field(change.field)
            changes.append(
                {
                    "field": _field_label(field),
                    "old": _display(change.old),
                    "new": _display(change.new),
                }
            )
        if changes:
            entries.append(
                {
                    "when": newer.history_date,
                    "who": newer.history_user,
                    "changes": changes,
                    "kind": "change",
                }
            )
    if records:
        first = records[-1]
        if first.history_type == "+" and (newer_than is None or first.history_date > newer_than):
            entries.append(
                {
                    "when": first.history_date,
                    "who": first.history_user,
                    "changes": [],
                    "kind": "created",
                }
            )
    return entries


@login_required
def agreement_history(request, reference: str):
    """The audit trail and field changes, as one timeline, newest first, HISTORY_PAGE_SIZE audit
    events a page with the field changes made in the same span of time."""
    _dod_only(request)
    agreement = _agreement_for(request, reference)
    logs = transition_logs_visible_to(request.user).filter(agreement=agreement).order_by("-timestamp", "-pk")
    page = Paginator(logs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page_logs = list(page.object_list)
    # The page covers the time from its oldest event (exclusive, unless it is the last page) up to
    # the oldest event of the page before it (the present, on the first page).
    up_to = None
    if page.has_previous():
        previous_oldest = logs[page.start_index() - 2]
        up_to = previous_oldest.timestamp
    newer_than = page_logs[-1].timestamp if page.has_next() and page_logs else None
    events = [
        {
            "when": log.timestamp,
            "who": log.actor,
            "kind": "transition" if log.transition in TRANSITION_NAMES else "event",
            "label": event_label(log.transition),
            "log": log,
            "source": State(log.source).label if log.source in State.values else "",
            "target": State(log.target).label if log.target in State.values else "",
        }
        for log in page_logs
    ]
    for change in _field_changes(agreement, newer_than=newer_than, up_to=up_to):
        events.append(
            {
                **change,
                "who": change["who"].get_full_name() or change["who"].username
                if change["who"]
                else "ICP Portal (system)",
            }
        )
    events.sort(key=lambda e: e["when"], reverse=True)
    return _page(request, agreement, "history", "agreements/detail_history.html", {"events": events, "page": page})


# --- lifecycle actions ------------------------------------------------------------------------
@login_required
def agreement_transition(request, reference: str, name: str):
    """GET: the dialog for an action (comment, signature, confirmation). POST: do it through
    ``agreement_transition``; a refusal, a forbidden action or a conflict is explained."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    _dod_only(request)
    if name not in TRANSITION_NAMES:
        raise Http404("No such action.")
    agreement = _agreement_for(request, reference)
    info = TRANSITION_INFO[name]
    option = next(
        (o for o in workflow_services.available_transitions(agreement, request.user) if o.name == name),
        None,
    )
    form_class = SignatureForm
    is_signature = name == "record_signature"

    def make_form(data=None):
        if is_signature:
            return form_class(data, agreement=agreement, initial={"state": agreement.state})
        return TransitionForm(data, initial={"state": agreement.state})

    def page(form, status=200, error=None):
        if option is not None:
            option.confirm = name in SUBMISSIONS
        return render(
            request,
            "agreements/transition.html",
            {
                "agreement": agreement,
                "info": info,
                "option": option,
                "form": form,
                "error": error,
                "is_signature": is_signature,
                "submission": submission_summary(agreement, name) if name in SUBMISSIONS else None,
            },
            status=status,
        )

    if request.method == "GET":
        return page(make_form())
    form = make_form(request.POST)
    if not form.is_valid():
        return page(form, 400)
    data = dict(form.cleaned_data)
    expected_state = data.pop("state", "") or None
    comment = data.pop("comment", "")
    if is_signature:
        party = data.pop("participant")
        data["participant"] = None if party == "us" else party
    try:
        workflow_services.agreement_transition(
            agreement=agreement,
            name=name,
            user=request.user,
            comment=comment,
            context=workflow_services.AuditContext.from_request(request),
            expected_state=expected_state,
            **data,
        )
    except LifecycleError as exc:
        agreement = _agreement_for(request, reference)
        option = next(
            (o for o in workflow_services.available_transitions(agreement, request.user) if o.name == name),
            None,
        )
        return page(make_form(request.POST) if exc.status_code == 400 else make_form(), exc.status_code, exc)
    agreement.refresh_from_db()
    messages.success(request, f"{info.label}: {agreement.reference} is now {agreement.get_state_display()}.")
    return redirect("agreement_detail", reference=reference)
