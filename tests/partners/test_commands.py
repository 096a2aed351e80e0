"""Reference data, scripted provisioning and demo data, as an operator runs them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from partners.models import CoordinatingOffice, Organization, Partner, Role, User
from workflow.models import TransitionLog
from workflow.transitions import TRANSITION_NAMES

pytestmark = pytest.mark.django_db


def test_reference_data_is_real_and_idempotent():
    call_command("load_reference_data", stdout=io.StringIO())
    call_command("load_reference_data", stdout=io.StringIO())
    nato = Partner.objects.filter(is_nato_member=True)
    assert nato.count() == 31  # the 32 Allies less the United States
    assert set(nato.values_list("code", flat=True)) >= {"GBR", "FRA", "DEU", "FIN", "SWE", "TUR"}
    assert Partner.objects.get(code="GBR").name == "United Kingdom"
    assert Partner.objects.get(code="AUS").is_mnna and not Partner.objects.get(code="AUS").is_nato_member
    assert Partner.objects.get(code="IND").is_other_friendly
    assert Partner.objects.get(code="EDA").is_eu_body
    assert Partner.objects.get(code="NATO").eligible_for_section_65
    assert Organization.objects.filter(code__in=["ARMY", "NAVY", "USAF", "USSF", "MDA", "DARPA"]).count() == 6
    assert CoordinatingOffice.objects.filter(coordinates_by_default=True).count() == 5


def test_create_user_with_password_from_environment(monkeypatch):
    call_command("load_reference_data", stdout=io.StringIO())
    monkeypatch.setenv("ICP_PASSWORD", "s3cret-enough-passphrase")
    out = io.StringIO()
    call_command("create_user", "jdoe", "--role", "program_office", "--organization", "navy", stdout=out)
    user = User.objects.get(username="jdoe")
    assert user.role == Role.PROGRAM_OFFICE and user.organization.code == "NAVY"
    assert user.check_password("s3cret-enough-passphrase")
    assert "Created jdoe" in out.getvalue()


def test_create_user_with_password_from_stdin(monkeypatch):
    call_command("load_reference_data", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin-passphrase\n"))
    call_command(
        "create_user", "liaison_fr", "--role", "liaison", "--partner", "FRA", "--password-stdin", stdout=io.StringIO()
    )
    assert User.objects.get(username="liaison_fr").check_password("from-stdin-passphrase")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--role", "program_office", "--organization", "NOPE"], "Unknown organization code 'NOPE'"),
        (["x2", "--role", "liaison", "--partner", "ZZZ"], "Unknown partner code 'ZZZ'"),
        (["x3", "--role", "coordinator", "--office", "XYZ"], "Unknown coordinating office code 'XYZ'"),
        (["x4", "--role", "liaison"], "needs --partner"),
        (["x5", "--role", "program_office"], "needs --organization"),
        (["x6", "--role", "reviewer", "--partner", "GBR"], "Only a partner liaison is bound to a partner."),
    ],
)
def test_create_user_fails_cleanly(args, message, monkeypatch):
    call_command("load_reference_data", stdout=io.StringIO())
    monkeypatch.setenv("ICP_PASSWORD", "s3cret-enough-passphrase")
    with pytest.raises(CommandError, match=message):
        call_command("create_user", *args, stdout=io.StringIO())
    assert not User.objects.filter(username=args[0]).exists()


def test_create_user_without_password_fails(monkeypatch):
    monkeypatch.delenv("ICP_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="No password"):
        call_command("create_user", "nopass", "--role", "reviewer", stdout=io.StringIO())


def test_seed_demo_covers_every_state_with_true_histories_and_is_idempotent(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-tests"
    call_command("seed_demo", stdout=io.StringIO())
    states = set(Agreement.objects.values_list("state", flat=True))
    assert states == set(State.values)
    for role in ("program_office", "coordinator", "reviewer", "liaison", "admin"):
        user = User.objects.get(username=role)
        assert user.role == role and user.check_password("demo-pass-for-tests")
    assert User.objects.get(username="liaison").partner.code == "GBR"
    in_force = Agreement.objects.filter(state=State.IN_FORCE).first()
    path = list(in_force.transition_logs.filter(transition__in=TRANSITION_NAMES).values_list("target", flat=True))
    assert State.RAD_REVIEW in path and State.IN_FORCE == path[-1]
    # Each step is dated the typical number of days after the one before, never in the future.
    logs = in_force.transition_logs.filter(transition__in=TRANSITION_NAMES).order_by("timestamp")
    assert (logs.last().timestamp - logs.first().timestamp).days > 200
    assert logs.last().timestamp <= timezone.now()
    assert in_force.entry_into_force_date < timezone.localdate()
    counts = (Agreement.objects.count(), TransitionLog.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Agreement.objects.count(), TransitionLog.objects.count(), User.objects.count()) == counts
