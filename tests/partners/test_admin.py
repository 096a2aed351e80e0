"""The Django admin is usable for every model: each changelist (with search) and change page opens."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from agreements.choices import State

pytestmark = pytest.mark.django_db


def test_every_admin_page_opens(admin_user, make_agreement, coordinator):
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR", "FRA"))
    client = Client()
    client.force_login(admin_user)
    checked = 0
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        changelist = client.get(reverse(f"admin:{info}_changelist"), {"q": "ICP"})
        assert changelist.status_code == 200, info
        instance = model._default_manager.first()
        if instance is not None:
            change = client.get(reverse(f"admin:{info}_change", args=[instance.pk]))
            assert change.status_code == 200, info
        checked += 1
    assert checked >= 15
    page = client.get(reverse("admin:agreements_agreement_change", args=[agreement.pk])).content.decode()
    assert "France" in page and "Participants" in page  # participants inline
    assert agreement.reference in client.get(reverse("admin:workflow_transitionlog_changelist")).content.decode()


def test_the_audit_trail_cannot_be_edited_in_the_admin(admin_user, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    log = agreement.transition_logs.first()
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:workflow_transitionlog_change", args=[log.pk])
    response = client.post(url, {"comment": "rewritten"})
    assert response.status_code == 403
    assert client.get(reverse("admin:workflow_transitionlog_delete", args=[log.pk])).status_code == 403
    log.refresh_from_db()
    assert log.comment == ""
