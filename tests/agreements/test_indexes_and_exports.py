"""The list's orderings, filters and search are served by indexes (checked with EXPLAIN on
PostgreSQL), and exports read rows in SQL: CSV streamed, large ones as a background job."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from agreements.choices import State
from agreements.selectors import agreements_listed
from tests import factories
from workflow import pdf
from workflow.models import RenderJob, RenderKind, RenderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")


def _plan(queryset) -> str:
    """The plan PostgreSQL would use if the table were large (sequential scans priced out)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        return queryset.explain()


@postgres_only
@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"scope": "all"}, "agreement_newest_first"),
        ({"scope": "all", "ordering": "expiration_date"}, "agreement_expiry"),
        ({"scope": "all", "ordering": "-state_changed_at"}, "agreement_changed"),
        ({}, "agreement_org_newest_first"),
    ],
)
def test_list_queries_use_an_index(program_office, params, index):
    _filterset, queryset, _scope = agreements_listed(program_office, params)
    assert index in _plan(queryset[:25])


@postgres_only
def test_search_uses_the_trigram_indexes(reviewer):
    _filterset, queryset, _scope = agreements_listed(reviewer, {"scope": "all", "q": "radar"})
    plan = _plan(queryset.order_by().values("pk"))  # what the page's COUNT reads
    assert "agreement_title_trgm" in plan and "agreement_reference_trgm" in plan


@postgres_only
def test_filtered_lists_need_no_distinct(reviewer):
    _filterset, queryset, _scope = agreements_listed(
        reviewer, {"scope": "all", "state": ["in_force", "signing"], "kind": ["master"], "organization": ["ARMY"]}
    )
    assert "DISTINCT" not in str(queryset.query)


def test_csv_export_aggregates_partners_in_one_query(client_for, program_office, django_assert_max_num_queries):
    for index in range(3):
        factories.AgreementFactory(user=program_office, title=f"Export row {index}", partners=("GBR", "FRA"))
    client = client_for(program_office)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("agreement_export", args=["csv"]))
        body = response.getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 3
    assert {row["Partners"] for row in rows} == {"United Kingdom; France"} or all(
        set(row["Partners"].split("; ")) == {"United Kingdom", "France"} for row in rows
    )


def test_a_large_export_becomes_a_background_job(client_for, program_office, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    for index in range(2):
        factories.AgreementFactory(user=program_office, title=f"Big export row {index}", partners=("GBR",))
    client = client_for(program_office)
    response = client.get(reverse("agreement_export", args=["xlsx"]), {"q": "Big export"})
    job = RenderJob.objects.get(kind=RenderKind.EXPORT)
    assert response.status_code == 302 and response["Location"] == reverse("render_status", args=[job.pk])
    assert job.params["format"] == "xlsx" and "q=Big+export" in job.params["query"]
    pdf.render_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY and job.params["count"] == 2
    download = client.get(reverse("render_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(download.getvalue())).active
    titles = sorted(row[1].value for row in sheet.iter_rows(min_row=3))
    assert titles == ["Big export row 0", "Big export row 1"]
    assert Client().get(reverse("render_download", args=[job.pk])).status_code == 302  # sign in first


def test_someone_else_cannot_download_an_export(client_for, program_office, reviewer, settings):
    settings.EXPORT_CSV_STREAM_MAX_ROWS = 0
    factories.AgreementFactory(user=program_office, title="Private export", partners=("GBR",))
    client_for(program_office).get(reverse("agreement_export", args=["csv"]))
    job = RenderJob.objects.get(kind=RenderKind.EXPORT)
    pdf.render_job_run(job_id=job.pk)
    assert client_for(reviewer).get(reverse("render_download", args=[job.pk])).status_code == 404


def test_the_stage_medians_come_from_one_sql_query(make_agreement, reviewer, django_assert_num_queries):
    from workflow.selectors import median_days_per_stage

    make_agreement(State.NEGOTIATION)
    make_agreement(State.SSOI_DRAFTING)
    from agreements.selectors import agreements_visible_to

    with django_assert_num_queries(1):
        rows = median_days_per_stage(agreements_visible_to(reviewer))
    by_state = {row["state"]: row["count"] for row in rows}
    assert by_state[State.PROPOSAL] == 2 and by_state[State.RAD_REVIEW] == 1


def test_every_export_column_is_read_in_sql_exactly_as_its_getter_shows_it(make_agreement, reviewer):
    from agreements.exports import COLUMNS, STREAMED, export_rows
    from agreements.models import Agreement

    assert {c.key for c in COLUMNS} <= set(STREAMED)
    agreement = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), title="Parity of the export columns")
    _filterset, queryset, _scope = agreements_listed(reviewer, {"scope": "all"})
    headers, rows = export_rows(queryset.filter(pk=agreement.pk), reviewer)
    (row,) = list(rows)
    fresh = Agreement.objects.prefetch_related("participants__partner").get(pk=agreement.pk)
    expected = [c.getter(fresh) for c in COLUMNS]
    assert headers == [c.header for c in COLUMNS]
    normalise = lambda v: "" if v is None else v  # noqa: E731
    assert [normalise(v) for v in row] == [normalise(v) for v in expected]
