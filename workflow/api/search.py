"""``GET /api/v1/search/?q=``: the global search of the header, for scripts."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from icp_portal.api import PortalViewMixin

from ..search import MAX_QUERY_CHARS, MAX_RESULTS, clean_query, search_results

MAX_OFFSET = 1000

SEARCH_RESULT_FIELDS = {
    "reference": serializers.CharField(),
    "title": serializers.CharField(),
    "short_title": serializers.CharField(),
    "kind": serializers.CharField(),
    "url": serializers.CharField(),
    "page": serializers.CharField(),
    "score": serializers.FloatField(),
    "source": serializers.CharField(),
    "source_label": serializers.CharField(),
    "snippet": serializers.CharField(help_text="HTML: the match marked with <mark>, everything else escaped."),
    "snippet_text": serializers.CharField(),
}


class SearchView(PortalViewMixin, APIView):
    """Agreements the caller may see matching ``q`` (reference, title, partner, SSOI, comments,
    document text; a partner liaison only what a liaison may read), best first."""

    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="Words to find."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_RESULTS} (default 20)."),
            OpenApiParameter(
                "offset", OpenApiTypes.INT, description="Skip this many of the best matches (default 0): the next page."
            ),
        ],
        responses=inline_serializer(
            name="SearchResponse",
            fields={
                "query": serializers.CharField(),
                "count": serializers.IntegerField(
                    help_text="Agreements that match in all (a lower bound when count_is_exact is false)."
                ),
                "count_is_exact": serializers.BooleanField(
                    help_text="False when a source had more matches than the search reads: refine the query."
                ),
                "truncated": serializers.BooleanField(
                    help_text="True when `results` leaves matches out (other pages, or beyond what was read)."
                ),
                "offset": serializers.IntegerField(),
                "next_offset": serializers.IntegerField(
                    allow_null=True, help_text="The offset of the next page; null on the last one."
                ),
                "results": inline_serializer(name="SearchResult", fields=SEARCH_RESULT_FIELDS, many=True),
            },
        ),
        operation_id="search",
    )
    def get(self, request):
        raw = request.query_params.get("q", "")
        if len(raw) > MAX_QUERY_CHARS:
            raise ValidationError({"q": f"Search for at most {MAX_QUERY_CHARS} characters."})
        query = clean_query(raw)
        if not query:
            raise ValidationError({"q": "Say what to search for."})
        try:
            limit = int(request.query_params.get("limit", 20))
        except ValueError:
            raise ValidationError({"limit": "A number, please."}) from None
        if not 1 <= limit <= MAX_RESULTS:
            raise ValidationError({"limit": f"Between 1 and {MAX_RESULTS}."})
        try:
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            raise ValidationError({"offset": "A number, please."}) from None
        if not 0 <= offset <= MAX_OFFSET:
            raise ValidationError({"offset": f"Between 0 and {MAX_OFFSET}."})
        found = search_results(request.user, query, limit=limit, offset=offset)
        results = [
            {
                "reference": hit.agreement.reference,
                "title": hit.agreement.title,
                "short_title": hit.agreement.short_title,
                "kind": hit.agreement.kind,
                "url": request.build_absolute_uri(reverse("api:agreement-detail", args=[hit.agreement.pk])),
                "page": request.build_absolute_uri(reverse("agreement_detail", args=[hit.agreement.reference])),
                "score": hit.score,
                "source": hit.source,
                "source_label": hit.source_label,
                "snippet": str(hit.snippet),
                "snippet_text": hit.snippet_text,
            }
            for hit in found.hits
        ]
        return Response(
            {
                "query": query,
                "count": found.count,
                "count_is_exact": found.count_is_exact,
                "truncated": found.truncated,
                "offset": found.offset,
                "next_offset": found.next_offset,
                "results": results,
            }
        )
