"""Global search: agreements by reference, title, short title, partner, SSOI text, transition
comments and the text of attached documents, ranked, with the matching snippet highlighted.

PostgreSQL uses full-text search over expression GIN indexes (migration
``0007_search_indexes``); SQLite (``make run``) falls back to substring matching. Every source
starts from the visibility selectors, and a partner liaison is searched only over what a liaison
may read: the agreement's own fields, its partners and the documents released to partners, never
the SSOI, comments or internal notes.

It lives in workflow because it composes both apps: the agreements' own text and the comments
of workflow's audit trail."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe

from agreements.models import SSOI, Agreement, Document
from agreements.selectors import agreements_visible_to, documents_visible_to

from .models import TransitionLog

MAX_QUERY_CHARS = 200
MAX_RESULTS = 50
PER_SOURCE = 200
SNIPPET_CHARS = 220
# Which source wins when an agreement matches several: a title match ranks above everything else.
WEIGHTS = {"reference": 6.0, "title": 5.0, "partner": 4.0, "ssoi": 3.0, "comment": 2.0, "document": 1.0}
SOURCE_LABELS = {
    "reference": "Reference",
    "title": "Title",
    "partner": "Partner",
    "ssoi": "SSOI",
    "comment": "Comment in the history",
    "document": "Document",
}
START, STOP = "\x02", "\x03"  # highlight markers, turned into <mark> after HTML escaping

# The tsvector expressions; the GIN indexes of agreements migration 0007 (and workflow 0009 for
# comments) are built on exactly these, so SSOI_COLUMNS is spelled out in the index's order, not
# derived (a test checks it still names every SSOI text field).
TITLE_VECTOR = "to_tsvector('english'::regconfig, coalesce(a.title, '') || ' ' || coalesce(a.short_title, ''))"
SSOI_COLUMNS = (
    "objectives",
    "scope_of_work",
    "benefits_to_dod",
    "benefits_to_partners",
    "management_structure",
    "in_kind_valuation",
    "cost_share_rationale",
    "contracting_approach",
    "project_equipment",
    "disclosure_and_use",
    "security_classification",
    "ddl_notes",
    "third_party_transfer",
    "duration",
    "congressional_notice",
    "nato_mnna_confirmation",
    "loan_period",
    "return_terms",
    "consumption_determination",
)
SSOI_TEXT = " || ' ' || ".join(f"coalesce(s.{c}, '')" for c in SSOI_COLUMNS)
SSOI_VECTOR = f"to_tsvector('english'::regconfig, {SSOI_TEXT})"
COMMENT_VECTOR = "to_tsvector('english'::regconfig, coalesce(t.comment, ''))"
DOCUMENT_VECTOR = "to_tsvector('english'::regconfig, coalesce(d.text, ''))"
COMMENT_HEADLINE_SQL = (
    "SELECT ts_headline('english'::regconfig, t.comment, websearch_to_tsquery('english'::regconfig, %s), %s) "  # nosec B608
    "FROM workflow_transitionlog t WHERE t.agreement_id = %s AND " + COMMENT_VECTOR + " @@ "
    "websearch_to_tsquery('english'::regconfig, %s) ORDER BY t.timestamp DESC LIMIT 1"
)


@dataclass
class SearchHit:
    """One agreement found, the source that matched best, and its highlighted snippet."""

    agreement: Agreement
    source: str
    score: float
    snippet: SafeString
    document: Document | None = None

    @property
    def source_label(self) -> str:
        if self.source == "document" and self.document is not None:
            return f"{self.document.get_kind_display()} v{self.document.version}"
        return SOURCE_LABELS[self.source]

    @property
    def snippet_text(self) -> str:
        return html.unescape(re.sub(r"</?mark>", "", str(self.snippet)))


@dataclass
class SearchResults:
    """One page of hits, and how many agreements matched in all.

    Each source is read up to PER_SOURCE matches, so when one of them reached it the count is a
    lower bound (``count_is_exact`` False): the page and the API then ask to refine the search."""

    hits: list[SearchHit]
    count: int
    count_is_exact: bool
    offset: int = 0

    @property
    def end(self) -> int:
        return self.offset + len(self.hits)

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts (None on the last page)."""
        return self.end if self.end < self.count and self.hits else None

    @property
    def truncated(self) -> bool:
        """Some matches are not in ``hits``: on other pages, or past what the search reads."""
        return self.offset > 0 or self.end < self.count or not self.count_is_exact


def clean_query(query: str) -> str:
    """The search text without NUL bytes and runs of whitespace, cut to MAX_QUERY_CHARS."""
    return re.sub(r"\s+", " ", (query or "").replace("\x00", "")).strip()[:MAX_QUERY_CHARS]


# Words that never name a partner and that PostgreSQL's English configuration drops as well.
STOP_WORDS = frozenset("a an and are as at be by for from in into is it no not of on or the to under with".split())


def _terms(query: str) -> list[str]:
    return [t for t in re.findall(r"[\w-]+", query.lower()) if len(t) > 1][:8]


@dataclass
class ParsedQuery:
    """The query as web search syntax reads it: alternatives (``or``) of required words and
    "quoted phrases", and ``-words`` left out. Used where PostgreSQL's ``websearch_to_tsquery`` is
    not available, so the SQLite fallback honours the same syntax."""

    alternatives: list[list[str]]
    excluded: list[str]


def parse_query(query: str) -> ParsedQuery:
    """Split ``query`` into alternatives of required words/phrases and excluded words."""
    alternatives: list[list[str]] = [[]]
    excluded: list[str] = []
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if phrase:
            text = " ".join(phrase.lower().split())
            if text:
                alternatives[-1].append(text)
            continue
        if word.lower() == "or":
            if alternatives[-1]:
                alternatives.append([])
            continue
        negate = word.startswith("-")
        tokens = [t for t in re.findall(r"[\w-]+", word.lower()) if len(t) > 1 and t not in STOP_WORDS]
        tokens = [t.strip("-") for t in tokens if t.strip("-")]
        if negate:
            excluded.extend(tokens)
        else:
            alternatives[-1].extend(tokens)
    alternatives = [group[:8] for group in alternatives if group]
    return ParsedQuery(alternatives=alternatives[:8], excluded=excluded[:8])


def _partner_condition(query: str) -> Q | None:
    """Agreements whose partners the query names: every word (stop words aside) starts a word of
    one partner's name, or a word typed in capitals is a partner's code. ``None`` when the query
    names no partner, so common words ("and", "or") never match Finland or Norway."""
    words = [w for w in re.findall(r"[\w-]+", query) if len(w) > 1]
    codes = [w for w in words if w.isupper() and len(w) == 3]
    if len(words) == 1 and len(words[0]) == 3:
        codes = [words[0].upper()]
    condition = Q()
    if codes:
        condition |= Q(participants__partner__code__in=[c.upper() for c in codes])
    name_words = [w.lower() for w in words if w.lower() not in STOP_WORDS and not w.startswith("-")]
    if name_words and all(len(w) >= 3 for w in name_words):
        names = Q()
        word_start = r"\m" if connection.vendor == "postgresql" else r"\b"  # start of a word
        for word in name_words:
            names &= Q(participants__partner__name__iregex=word_start + re.escape(word))
        condition |= names
    return condition or None


def _highlight(text: str) -> SafeString:
    """Escape, then turn the markers into <mark> (the text itself can never inject markup)."""
    escaped = html.escape(text.replace("\n", " "))
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 - escaped above  # nosec B308 B703


def _python_snippet(text: str, terms: list[str]) -> SafeString:
    """A window around the first matching term, every term marked (the SQLite path and short fields)."""
    text = (text or "").replace(START, "").replace(STOP, "")
    lower = text.lower()
    positions = [lower.find(t) for t in terms if lower.find(t) >= 0]
    first = min(positions) if positions else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    window = text[start : start + SNIPPET_CHARS]
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
        window = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_CHARS < len(text) else ""
    return _highlight(prefix + window + suffix)


def _visible_sql(user) -> tuple[str, list]:
    sql, params = agreements_visible_to(user).values("pk").query.sql_with_params()
    return sql, list(params)


# --- PostgreSQL -------------------------------------------------------------------------------
def _pg_source(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pg_hits(user, query: str) -> dict[str, list[tuple[int, float, int | None]]]:
    """Per source: (agreement id, rank in [0, 1), document id) of the best matches."""
    visible, vparams = _visible_sql(user)
    tsq = "websearch_to_tsquery('english'::regconfig, %s)"
    hits: dict[str, list] = {}
    hits["title"] = [
        (row[0], row[1], None)
        for row in _pg_source(
            f"SELECT a.id, ts_rank_cd({TITLE_VECTOR}, {tsq}, 32) FROM agreements_agreement a "  # noqa: S608  # nosec B608
            f"WHERE a.id IN ({visible}) AND {TITLE_VECTOR} @@ {tsq} ORDER BY 2 DESC LIMIT {PER_SOURCE}",
            [query, *vparams, query],
        )
    ]
    if user.is_dod:
        hits["ssoi"] = [
            (row[0], row[1], None)
            for row in _pg_source(
                f"SELECT s.agreement_id, ts_rank_cd({SSOI_VECTOR}, {tsq}, 32) FROM agreements_ssoi s "  # noqa: S608  # nosec B608
                f"WHERE s.agreement_id IN ({visible}) AND {SSOI_VECTOR} @@ {tsq} ORDER BY 2 DESC LIMIT {PER_SOURCE}",
                [query, *vparams, query],
            )
        ]
        hits["comment"] = [
            (row[0], row[1], None)
            for row in _pg_source(
                f"SELECT t.agreement_id, max(ts_rank_cd({COMMENT_VECTOR}, {tsq}, 32)) "  # noqa: S608  # nosec B608
                f"FROM workflow_transitionlog t WHERE t.agreement_id IN ({visible}) AND {COMMENT_VECTOR} @@ {tsq} "
                f"GROUP BY t.agreement_id ORDER BY 2 DESC LIMIT {PER_SOURCE}",
                [query, *vparams, query],
            )
        ]
    documents, dparams = documents_visible_to(user).values("pk").query.sql_with_params()
    hits["document"] = [
        (row[0], row[1], row[2])
        for row in _pg_source(
            f"SELECT d.agreement_id, ts_rank_cd({DOCUMENT_VECTOR}, {tsq}, 32), d.id FROM agreements_document d "  # noqa: S608  # nosec B608
            f"WHERE d.id IN ({documents}) AND {DOCUMENT_VECTOR} @@ {tsq} ORDER BY 2 DESC LIMIT {PER_SOURCE}",
            [query, *dparams, query],
        )
    ]
    return hits


def _pg_headline(text_sql: str, table: str, key: str, ident: int, query: str) -> str:
    options = f'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
    rows = _pg_source(
        f"SELECT ts_headline('english'::regconfig, {text_sql}, websearch_to_tsquery('english'::regconfig, %s), %s) "  # noqa: S608  # nosec B608
        f"FROM {table} WHERE {key} = %s LIMIT 1",
        [query, options, ident],
    )
    return rows[0][0] if rows else ""


# --- the search -------------------------------------------------------------------------------
def _icontains_any(field: str, terms: list[str]) -> Q:
    condition = Q()
    for term in terms:
        condition |= Q(**{f"{field}__icontains": term})
    return condition


def _fallback_match(fields: list[str], parsed: ParsedQuery) -> Q:
    """The substring form of a parsed query over ``fields``: one alternative matches when each of
    its words or phrases is in one of the fields; an excluded word in any field rules a row out."""
    condition = Q()
    for group in parsed.alternatives:
        required = Q()
        for term in group:
            anywhere = Q()
            for field in fields:
                anywhere |= Q(**{f"{field}__icontains": term})
            required &= anywhere
        condition |= required
    for term in parsed.excluded:
        for field in fields:
            condition &= ~Q(**{f"{field}__icontains": term})
    return condition


def _full_text_available() -> bool:
    """PostgreSQL's full-text search and its GIN indexes; elsewhere the substring fallback."""
    return connection.vendor == "postgresql"


def search(user, query: str, *, limit: int = 20) -> list[SearchHit]:
    """The agreements ``user`` may see that match ``query``, best first (at most ``limit``)."""
    return search_results(user, query, limit=limit).hits


def search_results(user, query: str, *, limit: int = 20, offset: int = 0) -> SearchResults:
    """One page of the agreements ``user`` may see that match ``query``, best first: at most
    ``limit`` (up to MAX_RESULTS) from ``offset``, with the number of matches in all."""
    query = clean_query(query)
    terms = _terms(query)
    if not terms or user is None or not user.is_authenticated:
        return SearchResults(hits=[], count=0, count_is_exact=True)
    limit = max(1, min(limit, MAX_RESULTS))
    offset = max(0, offset)
    visible = agreements_visible_to(user)
    postgres = _full_text_available()
    parsed = parse_query(query)
    scores: dict[int, tuple[float, str, int | None]] = {}
    capped = False

    def read(rows) -> list:
        """A source's rows; a source that reached PER_SOURCE may hold more than were read."""
        nonlocal capped
        rows = list(rows)
        capped = capped or len(rows) >= PER_SOURCE
        return rows

    def offer(agreement_id: int, source: str, rank: float, document_id: int | None = None) -> None:
        score = WEIGHTS[source] + min(float(rank or 0), 0.999)
        if agreement_id not in scores or scores[agreement_id][0] < score:
            scores[agreement_id] = (score, source, document_id)

    # Reference and partner: substring matches on short fields (references do not tokenize well).
    reference_term = query.strip().upper()
    for pk in read(visible.filter(reference__icontains=reference_term).values_list("pk", flat=True)[:PER_SOURCE]):
        offer(pk, "reference", 0.5)
    partner_match = _partner_condition(query)
    if partner_match is not None:
        for pk in read(visible.filter(partner_match).values_list("pk", flat=True).distinct()[:PER_SOURCE]):
            offer(pk, "partner", 0.1)

    if postgres:
        for source, rows in _pg_hits(user, query).items():
            for agreement_id, rank, document_id in read(rows):
                offer(agreement_id, source, rank, document_id)
    elif parsed.alternatives:
        title_q = _fallback_match(["title", "short_title"], parsed)
        for pk in read(visible.filter(title_q).values_list("pk", flat=True)[:PER_SOURCE]):
            offer(pk, "title", 0.5)
        if user.is_dod:
            ssoi_q = _fallback_match(list(SSOI_COLUMNS), parsed)
            for pk in read(
                SSOI.objects.filter(ssoi_q, agreement__in=visible).values_list("agreement_id", flat=True)[:PER_SOURCE]
            ):
                offer(pk, "ssoi", 0.5)
            for pk in read(
                TransitionLog.objects.filter(_fallback_match(["comment"], parsed), agreement__in=visible)
                .values_list("agreement_id", flat=True)
                .distinct()[:PER_SOURCE]
            ):
                offer(pk, "comment", 0.5)
        for pk, document_id in read(
            documents_visible_to(user)
            .filter(_fallback_match(["text"], parsed))
            .values_list("agreement_id", "pk")[:PER_SOURCE]
        ):
            offer(pk, "document", 0.5, document_id)

    highlight_terms = [t for group in parsed.alternatives for t in group] or terms
    best = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[offset : offset + limit]
    agreements = visible.with_list_relations().in_bulk([pk for pk, _ in best])
    document_ids = [doc for _, (_, _, doc) in best if doc]
    documents = Document.objects.in_bulk(document_ids) if document_ids else {}
    hits = []
    for pk, (score, source, document_id) in best:
        agreement = agreements.get(pk)
        if agreement is None:
            continue
        document = documents.get(document_id) if document_id else None
        hits.append(
            SearchHit(
                agreement=agreement,
                source=source,
                score=round(score, 3),
                snippet=_snippet(agreement, source, document, query, highlight_terms, postgres),
                document=document,
            )
        )
    return SearchResults(hits=hits, count=len(scores), count_is_exact=not capped, offset=offset)


def _snippet(agreement: Agreement, source: str, document, query: str, terms: list[str], postgres: bool) -> SafeString:
    if source in ("reference", "title"):
        text = f"{agreement.reference} · {agreement.title}" + (
            f" ({agreement.short_title})" if agreement.short_title else ""
        )
        return _python_snippet(text, terms + [query.lower()] if source == "reference" else terms)
    if source == "partner":
        names = "; ".join(f"{p.partner.name} ({p.partner.code})" for p in agreement.participants.all())
        return _python_snippet(names, terms)
    if postgres:
        if source == "ssoi":
            text = _pg_headline(SSOI_TEXT, "agreements_ssoi s", "s.agreement_id", agreement.pk, query)
        elif source == "comment":
            text = _pg_source(
                COMMENT_HEADLINE_SQL,
                [query, f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12", agreement.pk, query],
            )
            text = text[0][0] if text else ""
        else:
            text = _pg_headline("coalesce(d.text, '')", "agreements_document d", "d.id", document.pk, query)
        return _highlight(text)
    if source == "ssoi":
        ssoi = SSOI.objects.filter(agreement=agreement).first()
        text = " ".join(getattr(ssoi, c) or "" for c in SSOI_COLUMNS) if ssoi else ""
    elif source == "comment":
        log = (
            TransitionLog.objects.filter(_icontains_any("comment", terms), agreement=agreement)
            .order_by("-timestamp")
            .first()
        )
        text = log.comment if log else ""
    else:
        text = document.text if document else ""
    return _python_snippet(text, terms)
