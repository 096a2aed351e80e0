"""How long the import takes: 5,000 rows, dry run then import then re-import (not part of make test).

    .venv/bin/python bench/import_5000.py [--rows 5000] [--output bench/results/import_5000.json]

Builds a scratch database (PostgreSQL from DATABASE_URL, test_icp_bench_import by default),
writes a CSV of consistent agreements in every shape the import meets (masters in force with
project arrangements under them, Section 65 loans under review, expired system-level agreements,
proposals), and times each step, counting the progress reports each step gives. The dry run and
the import must each stay well under a minute (TARGET_SECONDS): the figures and the verdict are
written to bench/results/import_5000.json and to the import section of docs/performance.md, and
the exit status is 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icp_bench_import")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.run import RESULTS, write_doc  # noqa: E402

TARGET_SECONDS = 60.0  # the dry run and the import of 5,000 rows, each
DOC_BEGIN = "<!-- bench:import:begin -->"
DOC_END = "<!-- bench:import:end -->"

HEADER = [
    "External reference",
    "Title",
    "Kind",
    "State",
    "Lead organization code",
    "Partner codes",
    "Parent reference",
    "Legal authority",
    "Phase",
    "Effective date",
    "Expiration date",
    "Entry into force",
    "U.S. signature date",
    "Partner signature dates",
    "In state since",
    "Releasable to partners",
]


def rows_csv(count: int) -> bytes:
    today = dt.date.today()

    def ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    def ahead(days: int) -> str:
        return (today + dt.timedelta(days=days)).isoformat()

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    for i in range(count):
        row = {"External reference": f"BENCH-{i:05d}", "Lead organization code": "ARMY", "Partner codes": "GBR; FRA"}
        shape = i % 5
        if shape == 0:
            row.update(
                {
                    "Title": f"Master agreement {i}",
                    "Kind": "master",
                    "State": "in_force",
                    "Legal authority": "usc_2350a",
                    "Effective date": ago(900),
                    "Expiration date": ahead(2000),
                    "Entry into force": ago(900),
                    "U.S. signature date": ago(905),
                    "Partner signature dates": f"GBR {ago(901)}; FRA {ago(902)}",
                    "Releasable to partners": "yes",
                }
            )
        elif shape == 1:
            row.update(
                {
                    "Title": f"Project arrangement {i}",
                    "Kind": "project_arrangement",
                    "State": "negotiation",
                    "Parent reference": f"BENCH-{i - 1:05d}",
                    "Legal authority": "usc_2350a",
                    "Effective date": ago(100),
                    "Expiration date": ahead(1000),
                    "In state since": ago(40),
                }
            )
        elif shape == 2:
            row.update({"Title": f"Loan {i}", "Kind": "section_65_loan", "State": "rad_review", "Partner codes": "AUS"})
        elif shape == 3:
            row.update(
                {
                    "Title": f"System MOU {i}",
                    "Kind": "system_level",
                    "Phase": "development",
                    "State": "expired",
                    "Legal authority": "aeca_27",
                    "Effective date": ago(4000),
                    "Expiration date": ago(30),
                    "Entry into force": ago(4000),
                }
            )
        else:
            row.update({"Title": f"Proposal {i}", "Kind": "master", "State": "proposal"})
        writer.writerow(row)
    return buffer.getvalue().encode()


def measure(rows: int) -> dict:
    """Each step's time, rows per second, outcome and progress reports (in a scratch database)."""
    from agreements.models import Agreement
    from workflow import demo
    from workflow.imports import agreements_import

    cast = demo.ensure_cast(password="bench-password-not-secret")
    content = rows_csv(rows)
    steps = {}
    for name, label, kwargs in (
        ("dry_run", "dry run (preview)", {"dry_run": True}),
        ("import", "import", {"dry_run": False}),
        ("reimport", "re-import (nothing to create)", {"dry_run": False}),
    ):
        reports: dict[str, int] = {}

        def progress(phase: str, done: int, total: int, reports: dict = reports) -> None:
            reports[str(phase)] = reports.get(str(phase), 0) + 1

        started = time.perf_counter()
        result = agreements_import(
            content=content, filename="bench.csv", user=cast.reviewer, progress=progress, **kwargs
        )
        elapsed = time.perf_counter() - started
        print(
            f"{label:32} {rows} rows in {elapsed:6.1f} s ({rows / elapsed:7.0f} rows/s): "
            f"{len(result.to_create)} create, {len(result.existing)} exist, {len(result.errors)} errors; "
            f"progress reports {reports}"
        )
        assert not result.errors, result.errors[0].problems
        steps[name] = {
            "label": label,
            "seconds": round(elapsed, 2),
            "rows_per_second": round(rows / elapsed),
            "create": len(result.to_create),
            "exist": len(result.existing),
            "errors": len(result.errors),
            "progress_reports": reports,
        }
    steps["import"]["agreements_after"] = Agreement.objects.count()
    return steps


def markdown(results: dict) -> str:
    lines = [
        "| step | rows | seconds | rows/s | created | already in | progress reports |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for step in results["steps"].values():
        reports = ", ".join(f"{phase} {count}" for phase, count in step["progress_reports"].items())
        lines.append(
            f"| {step['label']} | {results['rows']:,} | {step['seconds']:.1f} | {step['rows_per_second']:,} | "
            f"{step['create']:,} | {step['exist']:,} | {reports} |"
        )
    lines += ["", "| target | measured | holds |", "|---|---|---|"]
    for name, target in results["targets"].items():
        lines.append(f"| {name} ({target['target']}) | {target['measured']} | {'yes' if target['ok'] else '**no**'} |")
    meta = results["machine"]
    lines += ["", f"Measured {results['date']} on {meta['platform']}, {meta['cpus']} CPUs, Python {meta['python']}, "
              f"PostgreSQL {meta['postgresql']} (`bench/import_5000.py`)."]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--output", default=str(RESULTS / "import_5000.json"), help="Where to write the figures.")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        steps = measure(args.rows)
        server = connection.vendor
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                server = cursor.fetchone()[0]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    results = {
        "rows": args.rows,
        "steps": steps,
        "targets": {
            f"{steps[name]['label']} of {args.rows:,} rows": {
                "target": f"< {TARGET_SECONDS:.0f} s",
                "measured": f"{steps[name]['seconds']:.1f} s",
                "ok": steps[name]["seconds"] < TARGET_SECONDS,
            }
            for name in ("dry_run", "import")
        },
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server,
        },
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    if output == RESULTS / "import_5000.json" and args.rows == 5000:
        write_doc(markdown(results), DOC_BEGIN, DOC_END)
    failing = [name for name, target in results["targets"].items() if not target["ok"]]
    for name in failing:
        print(f"not met: {name}: {results['targets'][name]['measured']} (target {results['targets'][name]['target']})")
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
