"""Every page and endpoint of the benchmark, measured in-process against one generated database.

    .venv/bin/python bench/scenarios.py --database icp_bench_100k [--repeat 7] [--heavy]

Prints one JSON object: for each scenario the median and spread (min, max) of ``repeat`` timed
runs after one warm-up run, the SQL queries of one run, and the response bytes; then the raw-SQL
baselines (API list of 100, dashboard aggregates) and, with ``--heavy``, exports, PDFs and
worker memory. Run by bench/run.py once per portfolio size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database: str) -> None:
    from bench.generate import database_url

    os.environ["DATABASE_URL"] = database_url(database)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_BASE"] = "test"
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


class QueryCounter:
    """Counts the SQL a block runs, through the connection's execute wrapper. The session's
    last-activity write is left out: it happens once a minute whatever the page, so it would
    land in one size's count and not another's by the clock alone."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith('UPDATE "django_session"'):
            self.count += 1
        return execute(sql, params, many, context)


# Requests of a millisecond or less are repeated until they have run this long (up to MAX_SAMPLES
# runs): seven samples of a sub-millisecond request on a loaded machine measure the scheduler.
MIN_SAMPLED_MS = 300
MAX_SAMPLES = 400


def measure(fn, repeat: int) -> dict:
    """One warm-up run (its queries and bytes are reported), then at least ``repeat`` timed runs
    (more for fast requests, see MIN_SAMPLED_MS)."""
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        size = fn()
    samples: list[float] = []
    while len(samples) < repeat or (sum(samples) < MIN_SAMPLED_MS and len(samples) < MAX_SAMPLES):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "runs": len(samples),
        "queries": counter.count,
        "bytes": size if isinstance(size, int) else None,
    }


def raw_sql_ms(sql: str, params, repeat: int) -> float:
    from django.db import connection

    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 2)


def page_scenarios(repeat: int, only: list[str] | None = None) -> dict:
    from django.test import Client

    from agreements.models import Agreement
    from partners.models import User
    from partners.services import api_token_create

    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    reviewer, liaison = client_for("reviewer"), client_for("liaison")
    coordinator, program_office = client_for("coordinator"), client_for("program_office")
    anonymous = Client()
    token_user = User.objects.get(username="reviewer")
    _token, key = api_token_create(user=token_user, name=f"bench {time.time():.0f}")
    long_lived = Agreement.objects.order_by("pk").values_list("reference", flat=True).first()
    last_page = max(1, -(-Agreement.objects.count() // 25))

    def get(client, path, **headers):
        def fetch():
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, response.status_code)
            return len(response.content)

        return fetch

    scenarios = {
        "dashboard (reviewer) /dashboard/": get(reviewer, "/dashboard/"),
        "dashboard API (reviewer) /api/v1/dashboard/": get(reviewer, "/api/v1/dashboard/"),
        "liaison page /partner/": get(liaison, "/partner/"),
        "dashboard API (liaison) /api/v1/dashboard/": get(liaison, "/api/v1/dashboard/"),
        "review queue /review/": get(reviewer, "/review/"),
        "positions due /positions/": get(coordinator, "/positions/"),
        "browser list /agreements/?scope=all": get(reviewer, "/agreements/?scope=all"),
        "browser list, last page": get(reviewer, f"/agreements/?scope=all&page={last_page}"),
        "browser list, filtered (in force, GBR)": get(reviewer, "/agreements/?scope=all&state=in_force&partner=GBR"),
        "browser list, search q=radar": get(reviewer, "/agreements/?scope=all&q=radar"),
        "program office 'my agreements'": get(program_office, "/agreements/"),
        "history tab of a long-lived agreement": get(reviewer, f"/agreements/{long_lived}/history/"),
        "agreement overview of a long-lived agreement": get(reviewer, f"/agreements/{long_lived}/"),
        "notifications /notifications/": get(reviewer, "/notifications/"),
        "API list of 100 /api/v1/agreements/?page_size=100": get(reviewer, "/api/v1/agreements/?page_size=100"),
        "API audit log /api/v1/audit-log/": get(reviewer, "/api/v1/audit-log/"),
        "GET /api/v1/me/ with a token": get(anonymous, "/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}"),
        "bare Django JSON view": get(anonymous, "/bench/bare/"),
    }
    if only:
        # The yardsticks stay, so the ratios to them can still be computed.
        keep = ("bare Django JSON view",)
        scenarios = {n: fn for n, fn in scenarios.items() if n in keep or any(part in n for part in only)}
    return {name: measure(fn, repeat) for name, fn in scenarios.items()}


def baselines(repeat: int) -> dict:
    """Raw SQL reading what two endpoints read: the API list page of 100 (every column it returns,
    its participants, and the count) and the dashboard's aggregates (uncached, computed by the selectors)."""
    from django.db import connection

    from agreements.selectors import agreements_visible_to
    from partners.models import User
    from workflow import selectors

    reviewer = User.objects.get(username="reviewer")
    # Every column the API's list returns (the list serializer's fields), its joins, and the
    # participants of the page's agreements in a second query, as the endpoint reads them.
    page_sql = """
        SELECT a.id, a.reference, a.title, a.short_title, a.kind, a.phase, a.parent_id, parent.reference,
               a.amendment_type, a.new_expiration_date, o.code, a.authority, a.authority_text, a.state,
               a.state_changed_at, a.effective_date, a.fixed_entry_into_force_date, a.entry_into_force_date,
               a.expiration_date, a.marking, a.releasable_to_partners, a.master_lapsed_at, a.us_signatory_name,
               a.us_signatory_title, a.us_signature_date, a.congressional_notice_date, a.internal_notes,
               a.created_at, a.updated_at, u.id, u.username, u.first_name, u.last_name, u.role
          FROM agreements_agreement a
          JOIN partners_organization o ON o.id = a.lead_organization_id
          LEFT JOIN agreements_agreement parent ON parent.id = a.parent_id
          LEFT JOIN partners_user u ON u.id = a.action_officer_id
         ORDER BY a.created_at DESC, a.id DESC LIMIT 100
    """
    participants_sql = """
        SELECT ap.id, ap.agreement_id, p.code, p.name, ap.role, ap.signature_date
          FROM agreements_participant ap JOIN partners_partner p ON p.id = ap.partner_id
         WHERE ap.agreement_id = ANY(%s)
         ORDER BY ap.agreement_id, ap.role DESC, p.name, ap.id
    """
    count_sql = "SELECT COUNT(*) FROM agreements_agreement"

    def page_and_participants() -> None:
        with connection.cursor() as cursor:
            cursor.execute(page_sql)
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(participants_sql, [ids])
            cursor.fetchall()

    page_ms = round(measure(page_and_participants, repeat)["median_ms"], 2)
    count_ms = raw_sql_ms(count_sql, [], repeat)

    def uncached_figures():
        return selectors._dashboard_figures(reviewer, __import__("datetime").date.today())

    start = time.perf_counter()
    selectors.median_days_per_stage(agreements_visible_to(reviewer))
    medians_ms = (time.perf_counter() - start) * 1000
    figures = measure(uncached_figures, max(3, repeat // 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM agreements_agreement")
        total = cursor.fetchone()[0]
    return {
        "agreements": total,
        "raw_sql_api_page_of_100_ms": round(page_ms + count_ms, 2),
        "raw_sql_api_page_rows_ms": page_ms,
        "raw_sql_api_count_ms": count_ms,
        "dashboard_figures_uncached_ms": figures["median_ms"],
        "dashboard_median_days_uncached_ms": round(medians_ms, 2),
    }


def heavy() -> dict:
    """Exports (time, peak memory, against raw SQL), the register of every agreement in force, the
    summary of the longest history. Each runs in a child process so its peak memory is its own."""
    import subprocess

    results = {}
    for name in ("export_csv", "export_xlsx", "raw_sql_export", "register_pdf", "summary_pdf"):
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, __file__, "--database", os.environ["BENCH_DATABASE"], "--one", name],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if completed.returncode != 0:
            results[name] = {"error": completed.stderr.strip().splitlines()[-1:] or ["failed"]}
        else:
            results[name] = json.loads(completed.stdout.strip().splitlines()[-1])
        results[name]["wall_s"] = round(time.perf_counter() - started, 1)
    return results


def one(name: str) -> dict:
    """One heavy measurement, in this (child) process: seconds and peak RSS."""
    from django.http import QueryDict

    from agreements import exports
    from agreements.models import Agreement
    from agreements.selectors import agreements_listed
    from partners.models import User

    reviewer = User.objects.get(username="reviewer")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    extra: dict = {}
    if name in ("export_csv", "export_xlsx", "raw_sql_export"):
        _f, queryset, _s = agreements_listed(reviewer, QueryDict("scope=all"))
        if name == "export_csv":
            headers, rows = exports.export_rows(queryset, reviewer)
            extra["bytes"] = sum(len(line.encode()) for line in exports.csv_lines(headers, rows))
        elif name == "export_xlsx":
            import tempfile

            with tempfile.TemporaryFile() as handle:
                extra["rows"] = exports.xlsx_write(queryset, reviewer, "CUI", handle)
                extra["bytes"] = handle.tell()
        else:
            from django.db import connection

            columns = [c.field for c in exports.export_columns(reviewer)]
            sql, params = exports.export_queryset(queryset).values_list(*columns).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                extra["rows"] = len(cursor.fetchall())
    elif name in ("register_pdf", "summary_pdf"):
        from django.utils import timezone

        from workflow import pdf

        if name == "register_pdf":
            context = pdf.register_context(user=reviewer, as_of=timezone.localdate())
            extra["agreements"] = context["count"]
            template = pdf.TEMPLATE[pdf.RenderKind.REGISTER]
        else:
            agreement = Agreement.objects.order_by("pk").first()
            context = pdf.summary_context(agreement)
            extra["events"] = len(context.get("timeline", []))
            template = pdf.TEMPLATE[pdf.RenderKind.SUMMARY]
        stamp = pdf.Stamp(version=None, generated_at=timezone.now())
        if context.get("compact"):
            rendered = pdf.register_compact_pdf(context, stamp)
            extra["layout"] = "compact"
        else:
            rendered = pdf.render_pdf(template, context, stamp)
        extra["bytes"] = len(rendered.content)
        extra["pages"] = _pdf_pages(rendered.content)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1), "base_rss_mb": round(base_rss, 1), **extra}


def _pdf_pages(content: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--heavy", action="store_true")
    parser.add_argument("--one")
    parser.add_argument("--only", help="Comma-separated parts of scenario names to run (and the bare view).")
    args = parser.parse_args()
    os.environ["BENCH_DATABASE"] = args.database
    setup(args.database)
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    from django.core.cache import cache

    cache.clear()
    only = [part for part in (args.only or "").split(",") if part]
    result = {"pages": page_scenarios(args.repeat, only), "baselines": baselines(args.repeat)}
    if args.heavy:
        result["heavy"] = heavy()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
