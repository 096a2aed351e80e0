"""The search page behind the header's search box."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..search import MAX_QUERY_CHARS, clean_query, search_results

RESULTS_SHOWN = 20
MAX_PAGE = 50  # 1,000 results: the sources are read up to a few hundred matches each anyway


def _page_number(value: str) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def search_page(request):
    """The best matches among the agreements the user may see, each with its highlighted snippet,
    a page at a time, saying how many matched and when to refine the search."""
    raw = request.GET.get("q", "")
    query = clean_query(raw)
    results = page = None
    if query:
        number = _page_number(request.GET.get("page", "1"))
        results = search_results(request.user, query, limit=RESULTS_SHOWN, offset=(number - 1) * RESULTS_SHOWN)
        if not results.hits and results.count:  # past the last page: show the last one
            last = (results.count - 1) // RESULTS_SHOWN
            results = search_results(request.user, query, limit=RESULTS_SHOWN, offset=last * RESULTS_SHOWN)
        page = Paginator(range(results.count), RESULTS_SHOWN).get_page(results.offset // RESULTS_SHOWN + 1)
    status = 400 if len(raw) > MAX_QUERY_CHARS else 200
    return render(
        request,
        "agreements/search.html",
        {
            "query": query,
            "results": results,
            "hits": results.hits if results else [],
            "page": page,
            "shown": RESULTS_SHOWN,
            "too_long": status == 400,
        },
        status=status,
    )
