"""The search page behind the header's search box."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..search import MAX_QUERY_CHARS, clean_query, search

RESULTS_SHOWN = 20


@login_required
@require_GET
def search_page(request):
    """The best matches among the agreements the user may see, each with its highlighted snippet."""
    raw = request.GET.get("q", "")
    query = clean_query(raw)
    hits = search(request.user, query, limit=RESULTS_SHOWN) if query else []
    status = 400 if len(raw) > MAX_QUERY_CHARS else 200
    return render(
        request,
        "agreements/search.html",
        {"query": query, "hits": hits, "shown": RESULTS_SHOWN, "too_long": status == 400},
        status=status,
    )
