"""The role-aware home, the agreement list with its filters, and the exports of the list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from icp_portal.pagination import Paginator
from workflow.pdf import export_request
from workflow.selectors import agreements_visible_count, open_returns

from .. import exports
from ..selectors import agreements_listed, saved_views_for
from .filter_controls import filter_controls

PAGE_SIZE = 25
# How far the list counts the matches of a search (the first 40 pages are shown; past that the
# page says more match and asks to narrow the search).
SEARCH_COUNT_CAP = 1000


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
@require_safe
def agreement_list(request):
    """“My agreements” for a program office; every visible agreement for other roles."""
    filterset, queryset, scope = _filtered_agreements(request)
    # A search is counted up to SEARCH_COUNT_CAP: counting every match of a common word re-reads
    # a fifth of the portfolio (60 ms at 100,000 agreements) on every page of it.
    searching = bool(request.GET.get("q", "").strip())
    paginator = Paginator(queryset, PAGE_SIZE, count_cap=SEARCH_COUNT_CAP if searching else None)
    filtered = any(request.GET.get(k) for k in request.GET if k not in ("page", "ordering", "scope"))
    if not filtered:
        # Every visible agreement (or the program office's own): an exact count, cached.
        own = scope == "mine" and request.user.is_program_office
        paginator.count = agreements_visible_count(
            request.user, organization_id=request.user.organization_id if own else None
        )
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    returns = open_returns(page.object_list, request.user)
    for agreement in page.object_list:
        agreement.open_return = returns.get(agreement.pk)
    context = {
        "page": page,
        "count_capped": paginator.capped,
        "filterset": filterset,
        "scope": scope,
        # The filter panel is on the full page only (htmx swaps the results).
        "filter_controls": [] if request.htmx else filter_controls(filterset, filterset.page_filters()),
        "query": request.GET,
        "sort_options": filterset.sort_options(),
        "filtered": filtered,
        "saved_views": saved_views_for(request.user),
        "current_query": _query_without_page(request),
    }
    template = "agreements/_list_results.html" if request.htmx else "agreements/list.html"
    return render(request, template, context)


@login_required
@require_safe
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
