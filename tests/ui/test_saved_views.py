"""Saved views: a named filtered list per user; a reviewer shares one with the review team."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agreements.choices import State
from agreements.models import SavedView
from partners.models import Role
from partners.services import user_create

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_save_open_share_and_delete_a_view(reviewer, program_office, make_agreement):
    in_force = make_agreement(State.IN_FORCE, title="Saved-view master")
    make_agreement(title="Other proposal")
    client = client_for(reviewer)
    response = client.post(
        reverse("saved_view_create"),
        {"name": "In force with the UK", "query": "state=in_force&partner=GBR&page=3&evil=1", "shared_with_team": "on"},
    )
    assert response.status_code == 302
    view = SavedView.objects.get(owner=reviewer)
    assert view.query == "state=in_force&partner=GBR" and view.shared_with_team
    listed = client.get(response["Location"]).content.decode()
    assert "In force with the UK" in listed and in_force.reference in listed and "Other proposal" not in listed

    colleague = user_create(username="reviewer2", role=Role.REVIEWER, password="correct-horse-battery-staple")
    shared = client_for(colleague).get(reverse("agreement_list")).content.decode()
    assert "In force with the UK" in shared
    # Not for other roles, and only the owner deletes it.
    assert "In force with the UK" not in client_for(program_office).get(reverse("agreement_list")).content.decode()
    assert client_for(colleague).post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    refused = client_for(program_office).post(
        reverse("saved_view_create"), {"name": "Mine", "query": "state=proposal", "shared_with_team": "on"}
    )
    assert refused.status_code == 302 and not SavedView.objects.filter(owner=program_office).exists()
    assert client.post(reverse("saved_view_create"), {"name": "", "query": "q=x"}).status_code == 302
    assert SavedView.objects.count() == 1
    client.post(reverse("saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()
