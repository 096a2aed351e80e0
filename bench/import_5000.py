"""How long the import takes: 5,000 rows, dry run then import then re-import (not part of make test).

    .venv/bin/python bench/import_5000.py [--rows 5000]

Builds a scratch database (PostgreSQL from DATABASE_URL, name icp_bench_import by default),
writes a CSV of consistent agreements in every shape the import meets (masters in force with
project arrangements under them, Section 65 loans under review, expired system-level agreements,
proposals), and times each step. The import must stay well under a minute.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from agreements.models import Agreement
        from workflow import demo
        from workflow.imports import agreements_import

        cast = demo.ensure_cast(password="bench-password-not-secret")
        content = rows_csv(args.rows)
        for label, kwargs in (
            ("dry run (preview)", {"dry_run": True}),
            ("import", {"dry_run": False}),
            ("re-import (nothing to create)", {"dry_run": False}),
        ):
            started = time.perf_counter()
            result = agreements_import(content=content, filename="bench.csv", user=cast.reviewer, **kwargs)
            elapsed = time.perf_counter() - started
            print(
                f"{label:32} {args.rows} rows in {elapsed:6.1f} s ({args.rows / elapsed:7.0f} rows/s): "
                f"{len(result.to_create)} create, {len(result.existing)} exist, {len(result.errors)} errors"
            )
            assert not result.errors, result.errors[0].problems
        print(f"agreements in the database: {Agreement.objects.count()}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
