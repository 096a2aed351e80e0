"""Import of existing agreements: the dry-run preview, the all-or-nothing import at the real state
with honest dates and audit rows, re-import, the command, and the export → import round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementKind, State
from agreements.lifecycle import contributions_entered
from agreements.models import UNITED_STATES, Agreement
from workflow.imports import ImportFileError, agreements_import
from workflow.models import CoordinationRound, TransitionLog
from workflow.selectors import dashboard_figures

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


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


def _today() -> dt.date:
    return timezone.localdate()


def _valid_rows(count: int) -> list[dict]:
    """``count`` consistent rows: masters in force with PAs under them, loans, proposals, reviews,
    expired agreements, signing ones."""
    today = _today()
    ago = lambda days: (today - dt.timedelta(days=days)).isoformat()  # noqa: E731
    ahead = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    rows = []
    for i in range(count):
        base = {"External reference": f"LEGACY-{i:04d}", "Lead organization code": "ARMY", "Partner codes": "GBR"}
        shape = i % 5
        if shape == 0:  # a master in force
            base.update(
                Title=f"Master RDT&E agreement {i}",
                Kind="Master RDT&E agreement",
                State="In force",
                **{
                    "Legal authority": "usc_2350a",
                    "Effective date": ago(900),
                    "Expiration date": ahead(2000),
                    "Entry into force": ago(900),
                    "U.S. signature date": ago(905),
                    "Partner signature dates": f"GBR {ago(901)}",
                    "Releasable to partners": "yes",
                },
            )
        elif shape == 1:  # a PA under the previous master, in negotiation
            base.update(
                Title=f"Project arrangement {i}",
                Kind="project_arrangement",
                State="negotiation",
                **{
                    "Parent reference": f"LEGACY-{i - 1:04d}",
                    "Legal authority": "usc_2350a",
                    "Effective date": ago(100),
                    "Expiration date": ahead(1000),
                    "In state since": ago(40),
                },
            )
        elif shape == 2:  # a Section 65 loan under RAD review
            base.update(
                Title=f"Loan of test equipment {i}",
                Kind="Section 65 loan",
                State="RAD review",
                **{"Partner codes": "AUS", "In state since": ago(60)},
            )
        elif shape == 3:  # an expired system-level agreement
            base.update(
                Title=f"System development MOU {i}",
                Kind="System-level agreement",
                State="Expired",
                **{
                    "Partner codes": "GBR; FRA",
                    "Phase": "Development",
                    "Legal authority": "aeca_27",
                    "Effective date": ago(4000),
                    "Expiration date": ago(30),
                    "Entry into force": ago(4000),
                },
            )
        else:  # a proposal
            base.update(
                Title=f"Proposed cooperation {i}", Kind="master", State="Proposal", **{"In state since": ago(5)}
            )
        rows.append(base)
    return rows


def _csv(rows: list[dict], header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def _with_ten_kinds_of_error() -> tuple[list[dict], dict[int, tuple[str, str]]]:
    """200 rows, ten of them wrong in ten different ways: {file row number: (column, words)}."""
    rows = _valid_rows(200)
    today = _today()
    errors = {
        3: ({"Partner codes": "GBR; XYZ"}, ("Partner codes", "XYZ")),
        # a loan to a partner that is neither NATO nor a major non-NATO ally
        4: ({"Partner codes": "IND"}, ("Partner codes", "Section 65 loan")),
        # an expired agreement whose expiration date lies ahead
        5: (
            {"Expiration date": (today + dt.timedelta(days=99)).isoformat()},
            ("Expiration date", f"The agreement expires on {today + dt.timedelta(days=99):%Y-%m-%d}."),
        ),
        # a PA whose master exists nowhere
        8: ({"Parent reference": "LEGACY-9999"}, ("Parent reference", "neither in the file nor in the portal")),
        12: ({"Expiration date": "2001-01-01"}, ("Expiration date", "after the effective date")),
        40: ({"Kind": "Treaty"}, ("Kind", "not one of")),
        51: ({"State": "Ratified"}, ("State", "not one of")),
        60: ({"Effective date": "31/12/2020"}, ("Effective date", "YYYY-MM-DD")),
        70: ({"Title": ""}, ("Title", "needs a title")),
        101: ({"Lead organization code": "NASA"}, ("Lead organization code", "NASA")),
    }
    expected = {}
    for file_row, (change, problem) in errors.items():
        rows[file_row - 2].update(change)
        expected[file_row] = problem
    return rows, expected


def test_preview_of_200_rows_names_ten_kinds_of_error_by_row_and_column(reviewer):
    rows, expected = _with_ten_kinds_of_error()
    result = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=True)
    assert len(result.rows) == 200
    found = {row.number: row.problems for row in result.errors}
    # A PA under a broken master is refused too (its parent is on a row with problems).
    dependent = {n for n, problems in found.items() if any("row with problems" in p.message for p in problems)}
    assert set(found) - dependent == set(expected)
    for number, (column, words) in expected.items():
        assert any(p.column == column and words in p.message for p in found[number]), (number, found[number])
    assert len(result.to_create) == 200 - len(found)
    assert not result.committed
    assert Agreement.objects.count() == 0
    assert not TransitionLog.objects.exists()


def test_a_file_with_errors_writes_nothing_unless_valid_rows_only_is_chosen(reviewer):
    rows, expected = _with_ten_kinds_of_error()
    result = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=False)
    assert not result.committed and Agreement.objects.count() == 0
    result = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=False, valid_only=True)
    assert result.committed
    assert Agreement.objects.count() == len(result.to_create) == 200 - len(result.errors)
    assert not Agreement.objects.filter(external_reference="LEGACY-0001").exists()  # row 3: unknown partner


def test_valid_file_imports_at_real_states_with_history_and_dashboard_counts(reviewer):
    rows = _valid_rows(200)
    result = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=False)
    assert result.committed, [str(p) for r in result.errors for p in r.problems]
    assert Agreement.objects.count() == 200
    figures = dashboard_figures(reviewer)
    assert figures["in_force"] == 40 and figures["in_review"] == 40
    counts = {row["key"]: row["count"] for row in figures["by_state"]}
    assert counts[State.EXPIRED] == 40 and counts[State.NEGOTIATION] == 40 and counts[State.PROPOSAL] == 40

    pa = Agreement.objects.get(external_reference="LEGACY-0001")
    master = Agreement.objects.get(external_reference="LEGACY-0000")
    assert pa.parent == master and pa.kind == AgreementKind.PROJECT_ARRANGEMENT
    assert timezone.localtime(pa.state_changed_at).date() == _today() - dt.timedelta(days=40)
    assert master.entry_into_force_date == _today() - dt.timedelta(days=900)
    assert master.participants.get().signature_date == _today() - dt.timedelta(days=901)
    log = TransitionLog.objects.get(agreement=pa)
    assert log.transition == "imported" and log.user == reviewer and log.target == State.NEGOTIATION
    assert log.comment == "Imported from legacy.csv row 3 by Robin Hale."
    # Under review: a coordination round is open, so the review queue and the silence procedure work.
    loan = Agreement.objects.get(external_reference="LEGACY-0002")
    assert CoordinationRound.objects.current_for(loan).positions.count() >= 1
    # The median counts only time the file vouches for: 40 days in negotiation for every PA.
    medians = {m["state"]: m for m in figures["median_days"]}
    assert medians[State.NEGOTIATION]["median"] == pytest.approx(40, abs=1)
    history = client_for(reviewer).get(reverse("agreement_history", args=[pa.reference])).content.decode()
    assert "Imported from legacy.csv row 3 by Robin Hale." in history

    again = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=False)
    assert len(again.existing) == 200 and not again.to_create and not again.errors
    assert Agreement.objects.count() == 200
    assert TransitionLog.objects.filter(transition="imported").count() == 200


def test_an_imported_review_notifies_per_agreement_and_round_and_closes_with_it(reviewer, coordinator):
    from workflow.models import Notification
    from workflow.notifications import notification_url
    from workflow.services import agreement_transition

    rows = _valid_rows(10)
    result = agreements_import(content=_csv(rows), filename="legacy.csv", user=reviewer, dry_run=False)
    assert result.committed, [str(p) for r in result.errors for p in r.problems]
    in_review = list(Agreement.objects.filter(state__in=[State.RAD_REVIEW, State.RFA_REVIEW]))
    assert in_review
    asked = Notification.objects.filter(user=coordinator, kind="position_requested")
    assert {n.agreement for n in asked} == set(in_review)
    for note in asked:
        stage = "RAD (authority to negotiate)" if note.agreement.state == State.RAD_REVIEW else "RFA (final approval)"
        assert note.agreement.reference in note.message and stage in note.message
        assert notification_url(note) and note.agreement.reference in notification_url(note)
    assert {n.agreement for n in Notification.objects.filter(user=reviewer, kind="review_requested")} == set(in_review)
    # Returning the agreement closes its round, and with it the request to the office.
    first = in_review[0]
    agreement_transition(agreement=first, name="return_for_revision", user=reviewer, comment="Incomplete.")
    assert asked.get(agreement=first).read_at is not None
    assert asked.filter(read_at__isnull=True).count() == len(in_review) - 1


def test_only_administrators_and_reviewers_import(program_office, liaison, admin_user):
    content = _csv(_valid_rows(1))
    for user in (program_office, liaison):
        with pytest.raises(PermissionDenied):
            agreements_import(content=content, filename="a.csv", user=user)
    assert agreements_import(content=content, filename="a.csv", user=admin_user).valid


@pytest.mark.parametrize(
    ("content", "filename", "words"),
    [
        (b"", "a.csv", "empty"),
        (b"just,some,words\n1,2,3\n", "a.csv", "No header row"),
        (b"Title,Kind\nA,master\n", "a.csv", "Partner codes"),
        (b"PK\x03\x04garbage", "a.xlsx", "cannot be read"),
        (b"%PDF-1.4", "a.pdf", ".csv or .xlsx"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(reviewer, content, filename, words):
    with pytest.raises(ImportFileError, match=words):
        agreements_import(content=content, filename=filename, user=reviewer)


def test_command_dry_run_then_import(reviewer, tmp_path, capsys):
    path = tmp_path / "legacy.csv"
    path.write_bytes(_csv(_valid_rows(10)))
    call_command("import_agreements", str(path), "--dry-run", "--as", "reviewer")
    assert "Dry run, nothing written. 10 rows: 10 to create" in capsys.readouterr().out
    assert Agreement.objects.count() == 0
    call_command("import_agreements", str(path), "--as", "reviewer")
    assert Agreement.objects.count() == 10
    call_command("import_agreements", str(path), "--as", "reviewer")
    assert "0 to create, 10 already in the portal" in capsys.readouterr().out
    rows, _ = _with_ten_kinds_of_error()
    path.write_bytes(_csv(rows))
    with pytest.raises(CommandError, match="valid-only"):
        call_command("import_agreements", str(path), "--as", "reviewer")
    assert "row 40: Kind: “Treaty” is not one of" in capsys.readouterr().out


class _Rollback(Exception):
    pass


def _snapshot() -> list[tuple]:
    return sorted(
        (
            a.reference,
            a.kind,
            a.title,
            a.short_title,
            tuple(sorted(p.partner.code for p in a.participants.all())),
            a.parent.reference if a.parent_id else "",
            a.state,
            a.effective_date,
            a.expiration_date,
            a.entry_into_force_date,
            a.us_signature_date,
            tuple(sorted((p.partner.code, p.signature_date) for p in a.participants.all())),
            a.lead_organization.code,
            a.releasable_to_partners,
            timezone.localtime(a.state_changed_at).date(),
            _contribution_totals(a),
        )
        for a in Agreement.objects.prefetch_related(
            "participants__partner", "contributions__participant__partner"
        ).select_related("parent")
    )


def _contribution_totals(agreement: Agreement) -> tuple:
    """Each party's total contribution, the United States' included."""
    totals: dict[str, Decimal] = {}
    for contribution in agreement.contributions.all():
        totals[contribution.party_name] = totals.get(contribution.party_name, Decimal(0)) + contribution.amount_usd
    return tuple(sorted(totals.items()))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_portals_own_export_imports_into_an_empty_portal(fmt, reviewer, make_agreement):
    """Export every agreement of one portal, import the file into an empty one: the same records."""
    with pytest.raises(_Rollback), transaction.atomic():
        master = make_agreement(State.IN_FORCE, title="Round-trip master", partners=("GBR", "FRA"))
        make_agreement(State.NEGOTIATION, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, title="PA one")
        make_agreement(State.SIGNING, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",), title="Loan")
        make_agreement(State.RAD_REVIEW, title="Under review", short_title="UR")
        make_agreement(State.WITHDRAWN, title="=SUM(A1) withdrawn")
        make_agreement(State.PROPOSAL, kind=AgreementKind.SYSTEM_LEVEL, phase="production", title="System")
        before = _snapshot()
        assert any(dict(row[-1]).get(UNITED_STATES) for row in before), "the U.S. contributes"
        response = client_for(reviewer).get(reverse("agreement_export", args=[fmt]))
        content = b"".join(response.streaming_content) if response.streaming else response.content
        raise _Rollback
    assert Agreement.objects.count() == 0
    result = agreements_import(content=content, filename=f"export.{fmt}", user=reviewer, dry_run=False)
    assert result.committed, [str(p) for r in result.errors for p in r.problems]
    assert _snapshot() == before
    # New proposals continue the numbering after the imported references.
    numbers = [int(row[0].rsplit("-", 1)[1]) for row in before]
    assert make_agreement().reference.endswith(f"{max(numbers) + 1:04d}")


def test_browser_preview_then_import_and_the_template(reviewer, program_office):
    client = client_for(reviewer)
    page = client.get(reverse("import_upload"))
    assert page.status_code == 200 and "Download the XLSX template" in page.content.decode()
    rows, _expected = _with_ten_kinds_of_error()
    upload = io.BytesIO(_csv(rows[:60]))
    upload.name = "legacy.csv"
    response = client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "This is a preview: nothing has been written." in preview
    assert "<strong>Partner codes</strong>: “XYZ” is not a partner code" in preview
    assert "Import only the" in preview and Agreement.objects.count() == 0
    batch_url = response["Location"]
    run = client.post(batch_url + "run/", {"valid_only": "yes"})
    assert run.status_code == 302
    done = client.get(batch_url).content.decode()
    assert "agreements imported from legacy.csv" in done and "Created" in done
    assert Agreement.objects.count() == 60 - done.count('data-action="error"')
    # A second click does not import twice.
    client.post(batch_url + "run/", {"valid_only": "yes"})
    assert "imported already" in client.get(batch_url).content.decode()

    bad = io.BytesIO(b"nothing useful")
    bad.name = "notes.csv"
    refused = client.post(reverse("import_upload"), {"file": bad})
    assert refused.status_code == 400 and "No header row" in refused.content.decode()

    template = client.get(reverse("import_template"))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template.content))
    sheet = book["Agreements"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Reference", "Title", "Short title"] and "Partner codes" in headers
    assert sheet.data_validations.dataValidation, "enumerations have drop-down lists"
    assert "Columns" in book.sheetnames
    # The filled example of the template imports as it is.
    result = agreements_import(content=template.content, filename="template.xlsx", user=reviewer, dry_run=True)
    assert result.valid and len(result.to_create) == 1

    other = client_for(program_office)
    assert other.get(reverse("import_upload")).status_code == 403
    assert other.get(batch_url).status_code == 403
    assert other.get(reverse("import_template")).status_code == 403


def test_a_project_arrangement_under_review_needs_its_master_in_force(reviewer, settings):
    rows = _valid_rows(2)
    rows[0]["State"] = "Negotiation"  # the master is not in force: its PA cannot be in negotiation
    rows[0].update({"Entry into force": "", "U.S. signature date": "", "Partner signature dates": ""})
    result = agreements_import(content=_csv(rows), filename="pa.csv", user=reviewer)
    assert [r.number for r in result.errors] == [3]
    assert [(p.column, p.message) for p in result.errors[0].problems] == [
        ("State", "The master agreement LEGACY-0000 is not in force.")
    ]
    settings.IMPORT_MAX_ROWS = 1
    with pytest.raises(ImportFileError, match="more than 1 rows"):
        agreements_import(content=_csv(_valid_rows(5)), filename="big.csv", user=reviewer)


def test_signed_awaiting_entry_into_force_needs_a_fixed_date_ahead(reviewer):
    today = _today()
    row = {
        "External reference": "SIGNED-1",
        "Title": "Signed master",
        "Kind": "master",
        "State": "Signed, awaiting entry into force",
        "Lead organization code": "ARMY",
        "Partner codes": "GBR",
        "Legal authority": "usc_2350a",
        "U.S. signature date": (today - dt.timedelta(days=3)).isoformat(),
        "Partner signature dates": f"GBR {(today - dt.timedelta(days=2)).isoformat()}",
    }
    header = [*HEADER, "Fixed entry into force"]
    refused = agreements_import(content=_csv([row], header), filename="s.csv", user=reviewer)
    assert [p.column for p in refused.errors[0].problems] == ["Fixed entry into force"]
    row["Fixed entry into force"] = (today + dt.timedelta(days=30)).isoformat()
    result = agreements_import(content=_csv([row], header), filename="s.csv", user=reviewer, dry_run=False)
    assert result.committed and Agreement.objects.get().state == State.SIGNED


def test_contribution_totals_name_the_united_states_beside_the_partners(reviewer):
    row = {
        "External reference": "CONTRIB-1",
        "Title": "Contributions of every participant",
        "Kind": "master",
        "State": "SSOI drafting",
        "Lead organization code": "ARMY",
        "Partner codes": "GBR; FRA",
        "Legal authority": "usc_2350a",
        "Contribution totals": "United States 2,000,000; GBR 1500000; FRA 250000.50",
    }
    header = [*HEADER, "Contribution totals"]
    wrong = [
        {**row, "Contribution totals": "USA 100; DEU 5"},
        {**row, "External reference": "CONTRIB-2", "Contribution totals": "U.S. a lot"},
    ]
    refused = agreements_import(content=_csv(wrong, header), filename="c.csv", user=reviewer)
    assert [[(p.column, p.message) for p in r.problems] for r in refused.errors] == [
        [("Contribution totals", "DEU contributes but is not among the partners.")],
        [("Contribution totals", "“U.S. a lot” is not a partner code (or USA) followed by an amount.")],
    ]
    result = agreements_import(content=_csv([row], header), filename="c.csv", user=reviewer, dry_run=False)
    assert result.committed, [str(p) for r in result.errors for p in r.problems]
    agreement = Agreement.objects.get(external_reference="CONTRIB-1")
    assert _contribution_totals(agreement) == (
        ("France", Decimal("250000.50")),
        ("United Kingdom", Decimal("1500000.00")),
        (UNITED_STATES, Decimal("2000000.00")),
    )
    # The RAD's rule "every participant contributes, the United States included" is met from the file.
    assert contributions_entered.reasons(agreement) == []


def test_rows_under_a_parent_already_in_the_portal_meet_the_shared_rules(reviewer, make_agreement):
    master = make_agreement(State.IN_FORCE, title="Stored master", partners=("GBR",))
    rows = [
        {
            "External reference": "PA-1",
            "Title": "PA under a stored master",
            "Kind": "project_arrangement",
            "State": "proposal",
            "Lead organization code": "ARMY",
            "Partner codes": "FRA",
            "Parent reference": master.reference,
            "Legal authority": "usc_2350a",
        },
        {
            "External reference": "PA-2",
            "Title": "Valid PA under a stored master",
            "Kind": "project_arrangement",
            "State": "proposal",
            "Lead organization code": "ARMY",
            "Partner codes": "GBR",
            "Parent reference": master.reference,
            "Legal authority": "usc_2350a",
        },
    ]
    result = agreements_import(content=_csv(rows), filename="pa.csv", user=reviewer)
    assert [r.number for r in result.errors] == [2]
    assert "not a participant in the master agreement" in result.errors[0].problems[0].message


def test_a_large_file_is_queued_for_the_worker_and_reports_its_outcome(reviewer, monkeypatch):
    from workflow import imports
    from workflow.models import ImportBatch, ImportStatus, OutboxMessage

    monkeypatch.setattr(imports.batches, "IMPORT_INLINE_ROWS", 5)
    batch = imports.import_batch_preview(user=reviewer, content=_csv(_valid_rows(12)), filename="big.csv")
    assert batch.status == ImportStatus.CHECKING and batch.total_rows == 12  # the worker checks it
    assert OutboxMessage.objects.filter(task=imports.CHECK_TASK, kwargs={"batch_id": batch.pk}).exists()
    checking = client_for(reviewer).get(reverse("import_batch", args=[batch.pk])).content.decode()
    assert "12 rows to check" in checking and "waiting for the worker" in checking
    batch = imports.import_batch_check(batch_id=batch.pk)
    assert batch.status == ImportStatus.PREVIEWED and batch.preview["counts"]["create"] == 12
    assert imports.import_batch_check(batch_id=batch.pk) is None  # a redelivered task does nothing
    batch = imports.import_batch_start(batch=batch, user=reviewer, valid_only=False)
    assert batch.status == ImportStatus.QUEUED and Agreement.objects.count() == 0
    assert OutboxMessage.objects.filter(task=imports.IMPORT_TASK, kwargs={"batch_id": batch.pk}).exists()
    progress = client_for(reviewer).get(reverse("import_progress", args=[batch.pk])).content.decode()
    assert "hx-trigger" in progress and "Queued" in progress
    imports.import_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and batch.processed_rows == 12 and Agreement.objects.count() == 12
    assert imports.import_batch_run(batch_id=batch.pk) is None  # a redelivered task does nothing
    done = client_for(reviewer).get(reverse("import_progress", args=[batch.pk]))
    assert done["HX-Refresh"] == "true"
    assert ImportBatch.objects.get(pk=batch.pk).result["counts"]["create"] == 12
