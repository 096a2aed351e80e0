"""ICP Portal benchmarks: ratios measured in one run, because this machine is noisy.

    make bench            (or: .venv/bin/python bench/run.py [--small N] [--large N])

Builds a scratch database (PostgreSQL from DATABASE_URL with the name icp_bench, like CI),
fills it through the real services, and prints for each scenario the time at a small and a
large size, their ratio, and the number of SQL queries. A list whose queries or time grow with
the number of rows is the regression these numbers exist to catch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icp_bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def timed(fn, repeat: int = 7) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs, and the queries of one run."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    # Count now: a request in the timed runs below clears the connection's query log.
    query_count = len(queries.captured_queries)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), query_count


def build(count: int, cast) -> None:
    """Bring the database to ``count`` agreements spread over the lifecycle."""
    from agreements.models import Agreement
    from workflow import demo

    targets = ["proposal", "ssoi_drafting", "rad_review", "negotiation"]
    partners = [("GBR",), ("FRA", "DEU"), ("AUS",), ("JPN", "KOR", "CAN")]
    index = Agreement.objects.count()
    while index < count:
        agreement = demo.propose(
            user=cast.program_office, partners=partners[index % 4], title=f"Bench agreement {index}"
        )
        demo.drive_to(agreement, targets[index % 4], cast)
        index += 1


def scenarios(cast):
    from agreements.filters import AgreementFilterSet
    from agreements.models import Agreement
    from agreements.selectors import agreements_visible_to
    from workflow.services import available_transitions, silence_sweep

    reviewer = cast.reviewer
    browser, api = Client(), Client()
    browser.force_login(cast.program_office)
    api.force_login(reviewer)

    def selector_page():
        qs = agreements_visible_to(reviewer).with_list_relations()
        filtered = AgreementFilterSet({"ordering": "-created_at"}, queryset=qs).qs
        rows = list(filtered[:50])
        return [(a.reference, [p.partner.code for p in a.participants.all()]) for a in rows]

    def csv_all_rows():
        qs = agreements_visible_to(reviewer).with_list_relations()
        return [(a.reference, a.lead_organization.code, len(a.participants.all())) for a in qs]

    def transitions_of_one():
        agreement = Agreement.objects.filter(state="ssoi_drafting").first()
        return available_transitions(agreement, cast.program_office)

    def sweep():
        return silence_sweep()

    def url_or_none(path: str):
        from django.urls import Resolver404, resolve

        try:
            resolve(path)
            return path
        except Resolver404:
            return None

    result = [
        ("visible agreements, first page (selector + filter)", selector_page),
        ("visible agreements, every row (export shape)", csv_all_rows),
        ("available transitions of one agreement", transitions_of_one),
        ("silence sweep with nothing due", sweep),
    ]

    def get(client, path):
        def fetch():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return fetch

    if path := url_or_none("/api/v1/agreements/"):
        result.append(("GET /api/v1/agreements/ (page 1)", get(api, path)))
    if path := url_or_none("/agreements/"):
        result.append(("GET /agreements/?scope=all browser list (page 1)", get(browser, path + "?scope=all")))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=200)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from workflow import demo

        cast = demo.ensure_cast(password="bench-password-not-secret")
        results: dict[str, dict[int, tuple[float, int]]] = {}
        for size in (args.small, args.large):
            started = time.perf_counter()
            build(size, cast)
            print(f"built {size} agreements through the services in {time.perf_counter() - started:.1f} s")
            for name, fn in scenarios(cast):
                results.setdefault(name, {})[size] = timed(fn)
        print()
        print(f"{'scenario':55} {'n=' + str(args.small):>12} {'n=' + str(args.large):>12} {'ratio':>7}  queries")
        for name, by_size in results.items():
            (t_small, q_small), (t_large, q_large) = by_size[args.small], by_size[args.large]
            ratio = t_large / t_small if t_small else float("inf")
            print(f"{name:55} {t_small * 1000:10.1f}ms {t_large * 1000:10.1f}ms {ratio:7.2f}  {q_small} → {q_large}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
