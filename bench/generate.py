"""Fill a scratch PostgreSQL database with a realistic ICP portfolio for the benchmarks.

    .venv/bin/python bench/generate.py --size 100000 --database icp_bench_100k

A portfolio of ``size`` agreements of every kind and state spread over thirty years, with
participants, contributions, SSOIs, documents, coordination rounds and positions, reporting
obligations, notifications, field history and an audit trail whose every row follows the
lifecycle (about 11 audit rows, 2.8 participants, 2.6 documents and 5.8 positions an agreement;
a few long-lived agreements carry hundreds of events). Rows go in with PostgreSQL COPY in batches,
so 100,000 agreements take minutes. The database is created and migrated when missing; a marker
table records the size and generator version, and a second run with the same ones does nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portfolio import (  # noqa: E402  (after the path set-up, so the script runs from anywhere)
    DOC_KINDS_BY_STAGE,
    KIND_WEIGHTS,
    STAGE_DAYS,
    STATE_WEIGHTS,
    SUBJECTS,
    TOPICS,
    Tables,
    path_to,
    step_times,
)

GENERATOR_VERSION = "4"
MARKER_TABLE = "bench_portfolio"
BATCH = 5_000
PASSWORD = "bench-password-not-secret"


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def ensure_database(name: str) -> None:
    """CREATE DATABASE ``name`` unless it exists (through the maintenance database)."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(name: str) -> None:
    os.environ["DATABASE_URL"] = database_url(name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.test")
    import django

    django.setup()


def marker(connection) -> tuple[int, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (size integer, version text, generated_at text)")
        cursor.execute(f"SELECT size, version FROM {MARKER_TABLE}")  # noqa: S608  # nosec B608
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def generate(size: int, seed: int = 15) -> dict[str, int]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from agreements.models import SSOI, Agreement, Contribution, Document, Participant, ReferenceCounter
    from partners.models import CoordinatingOffice, Organization, Partner, Role, User
    from workflow import demo
    from workflow.models import (
        CoordinationPosition,
        CoordinationRound,
        Notification,
        ReportingObligation,
        TransitionLog,
    )

    rng = random.Random(seed)
    cast = demo.ensure_cast(password=PASSWORD)
    organizations = list(Organization.objects.order_by("code"))
    program_offices = {o.pk: demo.program_office_for(o, password=PASSWORD) for o in organizations}
    offices = list(CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True).order_by("code"))
    office_users = {u.coordinating_office_id: u for u in cast.coordinators}
    partners = list(Partner.objects.filter(active=True).order_by("code"))
    section_65_partners = [p for p in partners if p.eligible_for_section_65]
    gbr = next(p for p in partners if p.code == "GBR")
    # Popular partners take part more often (GBR, AUS, FRA, DEU, JPN…), as they do in practice.
    popular = [p for p in partners if p.code in ("GBR", "AUS", "FRA", "DEU", "JPN", "KOR", "CAN", "ITA", "NLD", "NOR")]
    reviewer = cast.reviewer
    historical_agreement = Agreement.history.model

    tables = Tables(
        [
            Agreement,
            historical_agreement,
            Participant,
            Contribution,
            SSOI,
            Document,
            CoordinationRound,
            CoordinationPosition,
            TransitionLog,
            ReportingObligation,
            Notification,
        ]
    )
    now = timezone.now()
    silence = dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
    states = list(STATE_WEIGHTS)
    state_weights = list(STATE_WEIGHTS.values())
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())
    references: dict[int, int] = {}
    masters: list[tuple[int, list[int], dt.date | None]] = []  # id, partner ids, expiration
    non_amendments: list[int] = []
    long_lived = max(1, size // 500)
    ssoi_text = {k: v for k, v in demo.SSOI_TEXT.items() if hasattr(SSOI, k)}
    counts = {"rows": 0}
    started = time.perf_counter()

    def days(low, high):
        return dt.timedelta(days=rng.uniform(low, high))

    for index in range(size):
        state = rng.choices(states, state_weights)[0]
        kind = rng.choices(kinds, kind_weights)[0]
        if kind == "project_arrangement" and not masters:
            kind = "master"
        if kind == "amendment" and not non_amendments:
            kind = "master"
        steps = path_to(state, rng)
        # How long each step took, and when the last one happened.
        durations = [days(*STAGE_DAYS.get(source, (5, 60))) for source, _, _ in steps]
        if state in ("expired", "terminated"):
            last_at = now - days(30, 25 * 365)
        elif state == "in_force":
            last_at = now - days(1, 18 * 365)
        elif state in ("withdrawn", "disapproved"):
            last_at = now - days(10, 28 * 365)
        else:  # still moving: in its current stage for a while
            low, high = STAGE_DAYS.get(state, (5, 60))
            last_at = now - days(0, high * 1.6)
        if index < long_lived:
            state, kind = "in_force", "master"
            steps = path_to("in_force", rng)
            durations = [days(*STAGE_DAYS.get(s, (5, 60))) for s, _, _ in steps]
            last_at = now - days(8000, 9000)
        created_at = last_at - sum(durations, dt.timedelta())
        if state == "proposal":
            created_at = last_at
        year = timezone.localtime(created_at).year
        references[year] = references.get(year, 0) + 1
        reference = f"ICP-{year}-{references[year]:04d}"

        # Partners, parent, dates.
        parent_id = None
        if kind == "project_arrangement":
            parent_id, master_partners, master_expiration = rng.choice(masters[-2000:])
            chosen = rng.sample(master_partners, k=min(len(master_partners), rng.choice([1, 2, 2, 3, 4])))
        elif kind == "amendment":
            parent_id = rng.choice(non_amendments[-5000:])
            chosen = None
        if kind == "section_65_loan":
            chosen = [rng.choice(section_65_partners).pk]
        elif kind not in ("project_arrangement",) or not chosen:
            count = rng.choices([1, 2, 3, 4, 6], [22, 28, 25, 15, 10])[0]
            pool = popular if rng.random() < 0.6 else partners
            chosen = list({p.pk for p in rng.sample(pool, k=min(count, len(pool)))})
        if index < long_lived:
            chosen = list({gbr.pk, *chosen})
        organization = rng.choice(organizations)
        action_officer = program_offices[organization.pk]
        entered_force = None
        effective = expiration = None
        if state in ("signing", "in_force", "expired", "terminated") or index < long_lived:
            signature_at = last_at if state == "signing" else None
            for (_source, _name, target), at in zip(steps, step_times(created_at, durations), strict=True):
                if target == "in_force":
                    signature_at = at
            effective = timezone.localtime(signature_at or last_at).date()
            entered_force = effective if state != "signing" else None
            expiration = effective + dt.timedelta(days=rng.choice([5, 10, 15, 20, 25]) * 365)
            if state == "expired":
                expiration = min(expiration, timezone.localtime(last_at).date())
                if expiration <= effective:
                    expiration = effective + dt.timedelta(days=1)
            elif state == "in_force" and expiration <= timezone.localdate():
                expiration = timezone.localdate() + dt.timedelta(days=rng.randint(1, 5 * 365))
        if kind == "project_arrangement" and parent_id is not None and master_expiration and expiration:
            expiration = min(expiration, master_expiration)
            if effective and expiration <= effective:
                expiration = None
        authority = {
            "section_65_loan": "aeca_65",
        }.get(kind, rng.choice(["usc_2350a", "usc_2350a", "aeca_27"]))
        releasable = rng.random() < 0.5 or index < long_lived
        agreement_id = tables.add(
            Agreement,
            reference=reference,
            title=f"{rng.choice(TOPICS)} {rng.choice(SUBJECTS)} ({reference})",
            short_title=f"{rng.choice(SUBJECTS)} {index}",
            kind=kind,
            phase=rng.choice(["development", "production", "sustainment"]) if kind == "system_level" else "",
            parent_id=parent_id,
            amendment_type=rng.choice(["extension", "scope", "other"]) if kind == "amendment" else "",
            new_expiration_date=(
                (expiration or timezone.localdate()) + dt.timedelta(days=365) if kind == "amendment" else None
            ),
            lead_organization_id=organization.pk,
            action_officer_id=action_officer.pk,
            authority=authority,
            authority_text="",
            effective_date=effective,
            fixed_entry_into_force_date=None,
            entry_into_force_date=entered_force,
            expiration_date=expiration,
            marking=rng.choice(["CUI", "CUI", "UNCLASSIFIED", "FOUO"]),
            releasable_to_partners=releasable,
            internal_notes=rng.choice(["", "", "Awaiting Component legal review.", "Partner MOD asked for a pause."]),
            state=state,
            state_changed_at=last_at,
            congressional_notice_date=None,
            us_signatory_name="Jane Doe" if entered_force else "",
            us_signatory_title="Director, International Cooperation" if entered_force else "",
            us_signature_date=entered_force,
            master_lapsed_at=None,
            created_at=created_at,
            updated_at=last_at,
        )
        agreement_row = tables.rows[Agreement][-1]
        if kind == "master":
            masters.append((agreement_id, chosen, expiration))
        if kind != "amendment":
            non_amendments.append(agreement_id)
        tables.add(
            historical_agreement,
            history_id=tables.next_id(historical_agreement),
            id=agreement_id,
            reference=reference,
            title=f"Proposal {reference}",
            short_title="",
            kind=kind,
            phase="development" if kind == "system_level" else "",
            parent_id=parent_id,
            lead_organization_id=organization.pk,
            action_officer_id=action_officer.pk,
            authority=authority,
            state="proposal",
            created_at=created_at,
            releasable_to_partners=releasable,
            history_date=created_at,
            history_type="+",
            history_user_id=action_officer.pk,
            history_change_reason=None,
        )
        for position, partner_id in enumerate(chosen):
            participant_id = tables.add(
                Participant,
                agreement_id=agreement_id,
                partner_id=partner_id,
                role="lead" if position == 0 else "participant",
                signatory_name="Minister of Defence" if entered_force else "",
                signatory_title="",
                signature_date=entered_force,
            )
            if kind != "section_65_loan" and state != "proposal" and rng.random() < 0.5:
                tables.add(
                    Contribution,
                    agreement_id=agreement_id,
                    participant_id=participant_id,
                    kind="financial",
                    description="Cost share",
                    valuation_basis="",
                    amount_usd=rng.randint(1, 500) * 10_000,
                    fiscal_year=min(2100, max(1990, year)),
                )
        if state != "proposal":
            tables.add(SSOI, agreement_id=agreement_id, ddl_status="approved", **ssoi_text, updated_at=created_at)

        # The audit trail, rounds, positions and documents along the path.
        user_for = {
            "start_ssoi": action_officer.pk,
            "submit_rad": action_officer.pk,
            "submit_rfa": action_officer.pk,
            "record_signature": action_officer.pk,
            "withdraw": action_officer.pk,
            "expire": None,
            "end_congressional_wait": None,
        }
        doc_versions: dict[str, int] = {}
        # Records migrated from before the portal (over 12 years old) carry no coordination rounds.
        legacy = created_at < now - dt.timedelta(days=12 * 365) and index >= long_lived
        open_round = None
        for (source, name, target), at in zip(steps, step_times(created_at, durations), strict=True):
            if open_round is not None:
                tables.rows[CoordinationRound][-1].update(closed_at=at, outcome=name)
                open_round = None
            tables.add(
                TransitionLog,
                agreement_id=agreement_id,
                transition=name,
                source=source,
                target=target,
                user_id=user_for.get(name, reviewer.pk),
                timestamp=at,
                comment="Returned: complete the cost-share rationale." if name == "return_for_revision" else "",
                data={},
                request_id="",
                client_address=None,
            )
            extra = ["ssoi_pdf"] if target == "rad_review" and rng.random() < 0.3 else []
            for doc_kind in DOC_KINDS_BY_STAGE.get(target, []) + extra:
                doc_versions[doc_kind] = doc_versions.get(doc_kind, 0) + 1
                tables.add(
                    Document,
                    agreement_id=agreement_id,
                    kind=doc_kind,
                    title="",
                    version=doc_versions[doc_kind],
                    file=f"agreements/{reference}/{doc_kind}/v{doc_versions[doc_kind]}-{doc_kind}.pdf",
                    original_name=f"{doc_kind}.pdf",
                    content_type="application/pdf",
                    sha256=f"{rng.getrandbits(256):064x}",
                    size=rng.randint(20_000, 2_000_000),
                    marking="CUI",
                    releasable_to_partners=doc_kind in ("signed_text", "notice") or rng.random() < 0.3,
                    uploaded_by_id=action_officer.pk,
                    uploaded_at=at,
                )
            if target in ("rad_review", "rfa_review") and not legacy:
                round_id = tables.add(
                    CoordinationRound,
                    agreement_id=agreement_id,
                    stage="rad" if target == "rad_review" else "rfa",
                    opened_at=at,
                    closed_at=None,
                    outcome="",
                )
                open_round = (round_id, at)
                still_open = target == state and (source, name, target) == steps[-1]
                for office in offices:
                    due = at + silence
                    if still_open and now < due + dt.timedelta(days=rng.uniform(-10, 30)):
                        status, responded = rng.choice(["pending", "pending", "comment", "concur"]), None
                    elif still_open:
                        status = rng.choice(["pending", "concur", "comment"])
                        responded = None if status == "pending" else min(now, at + days(1, 20))
                    else:
                        status = rng.choices(["concur", "silence", "non_concur", "comment"], [70, 20, 3, 7])[0]
                        responded = at + days(1, 20)
                    answered_at = responded or at + days(1, 20)
                    tables.add(
                        CoordinationPosition,
                        round_id=round_id,
                        office_id=office.pk,
                        due_at=due,
                        status=status,
                        comment="See the attached note." if status in ("non_concur", "comment") else "",
                        responded_by_id=office_users.get(office.pk).pk if responded and status != "silence" else None,
                        responded_at=responded,
                        round_open=still_open,
                    )
                    if still_open and status in ("pending", "comment"):
                        # What workflow.services keeps on the agreement: the earliest awaited deadline.
                        awaited = agreement_row.get("awaited_deadline")
                        agreement_row["awaited_deadline"] = min(awaited, due) if awaited else due
                    if status != "pending" and not still_open:
                        tables.add(
                            TransitionLog,
                            agreement_id=agreement_id,
                            transition="concurred_by_silence" if status == "silence" else "position_recorded",
                            source=target,
                            target=target,
                            user_id=None if status == "silence" else office_users.get(office.pk).pk,
                            timestamp=min(answered_at, now),
                            comment="",
                            data={"office": office.code, "status": status},
                            request_id="",
                            client_address=None,
                        )
        if entered_force:
            for obligation_kind, after in (("state_transmittal", 20), ("congressional_report", 30)):
                due = entered_force + dt.timedelta(days=after)
                done = due < timezone.localdate() - dt.timedelta(days=60) or rng.random() < 0.7
                tables.add(
                    ReportingObligation,
                    agreement_id=agreement_id,
                    kind=obligation_kind,
                    due_date=due,
                    completed_date=due - dt.timedelta(days=rng.randint(0, 10)) if done else None,
                    completed_by_id=reviewer.pk if done else None,
                    notes="",
                )
        if index < long_lived:
            # A long-lived agreement: decades of amendments applied, obligations and notices.
            at = last_at
            for event in range(400):
                at += dt.timedelta(days=rng.uniform(1, 19))
                if at >= now:
                    break
                tables.add(
                    TransitionLog,
                    agreement_id=agreement_id,
                    transition=rng.choice(["amendment_applied", "obligation_completed", "position_recorded"]),
                    source="in_force",
                    target="in_force",
                    user_id=reviewer.pk,
                    timestamp=at,
                    comment=f"Event {event} of a long-lived agreement.",
                    data={},
                    request_id="",
                    client_address=None,
                )
                if event % 3 == 0:
                    tables.add(
                        historical_agreement,
                        history_id=tables.next_id(historical_agreement),
                        id=agreement_id,
                        reference=reference,
                        title=f"Title revision {event}",
                        short_title="",
                        kind=kind,
                        lead_organization_id=organization.pk,
                        action_officer_id=action_officer.pk,
                        authority=authority,
                        state="in_force",
                        created_at=created_at,
                        releasable_to_partners=True,
                        internal_notes=f"Revision {event}",
                        history_date=at,
                        history_type="~",
                        history_user_id=action_officer.pk,
                        history_change_reason=None,
                    )
        if rng.random() < 0.05:
            for user in (reviewer, cast.program_office):
                tables.add(
                    Notification,
                    user_id=user.pk,
                    agreement_id=agreement_id,
                    kind="transition",
                    message=f"{reference} moved to {state.replace('_', ' ')}.",
                    dedupe_key=f"bench-{agreement_id}-{user.pk}",
                    created_at=last_at,
                    read_at=last_at if rng.random() < 0.8 else None,
                    emailed_at=None,
                )
        if (index + 1) % BATCH == 0 or index + 1 == size:
            with transaction.atomic():
                counts["rows"] += tables.flush(connection)
            elapsed = time.perf_counter() - started
            print(f"  {index + 1:>7} agreements, {counts['rows']:>9} rows, {elapsed:6.1f} s", flush=True)

    with transaction.atomic():
        for year, last in references.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
        with connection.cursor() as cursor:
            for model in tables.models:
                table = model._meta.db_table
                pk = model._meta.pk.column
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "  # noqa: S608  # nosec B608
                    f'COALESCE((SELECT MAX("{pk}") FROM "{table}"), 1))'
                )
    User.objects.filter(role=Role.LIAISON).update(partner=gbr)
    # VACUUM as well as ANALYZE: a database in service has been vacuumed, and without the
    # visibility map COPY leaves, counts and deep pages cannot use index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {model.__name__: model.objects.count() for model in tables.models if model is not historical_agreement}


def existing_marker(name: str) -> tuple[int, str] | None:
    """The marker of database ``name`` (None when the database or its marker is missing)."""
    import psycopg

    try:
        with psycopg.connect(database_url(name), autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0]
            row = conn.execute(f"SELECT size, version FROM {MARKER_TABLE}").fetchone() if exists else None  # noqa: S608  # nosec B608
    except psycopg.OperationalError:
        return None
    return (row[0], row[1]) if row else None


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--force", action="store_true", help="Drop and regenerate even when the marker matches.")
    args = parser.parse_args()
    if not args.database.startswith("icp_bench"):
        parser.error("the benchmark only drops and fills databases named icp_bench…")

    # A database holding another portfolio (size or generator version) is a scratch copy: rebuilt.
    if args.force or existing_marker(args.database) not in (None, (args.size, GENERATOR_VERSION)):
        drop_database(args.database)
    ensure_database(args.database)
    setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    try:
        call_command("migrate", verbosity=0, interactive=False)
    except InconsistentMigrationHistory:
        # Migrations were renumbered since the portfolio was made: start again from scratch.
        connection.close()
        drop_database(args.database)
        ensure_database(args.database)
        call_command("migrate", verbosity=0, interactive=False)
    found = marker(connection)
    if found == (args.size, GENERATOR_VERSION):
        print(f"{args.database}: {args.size} agreements already generated (version {GENERATOR_VERSION})")
        return 0
    if connection.cursor().execute("SELECT 1 FROM agreements_agreement LIMIT 1").fetchone():
        print(f"{args.database} holds agreements but no marker; regenerate with --force", file=sys.stderr)
        return 2
    started = time.perf_counter()
    print(f"{args.database}: generating {args.size} agreements")
    counts = generate(args.size)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (size, version, generated_at) VALUES (%s, %s, now()::text)",  # noqa: S608  # nosec B608
            [args.size, GENERATOR_VERSION],
        )
    print(f"{args.database}: {counts} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
