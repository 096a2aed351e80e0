"""How each door answers, and the world the rows share."""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementKind, AmendmentType, LegalAuthority
from agreements.models import SSOI, Agreement, Participant
from partners.models import Partner
from tests import factories
from tests.api.conftest import token_client
from workflow import services as workflow_services
from workflow.exceptions import LifecycleError
from workflow.models import CoordinationRound, TransitionLog


# --- how each door answers ------------------------------------------------------------------------
def service_refusal(call: Callable) -> str:
    """The sentence(s) a service refuses with (it must refuse)."""
    try:
        call()
    except ValidationError as exc:
        return " ".join(exc.messages)
    except (PermissionDenied, LifecycleError) as exc:
        return str(exc)
    raise AssertionError("the service accepted what the rule forbids")


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def api_text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


class World:
    """The cast and one client per door."""

    def __init__(self, cast, make_agreement):
        self.cast = cast
        self.make = make_agreement
        self.po = cast.program_office
        self.reviewer = cast.reviewer
        self.admin = type(self.po).objects.get(username="admin")
        self.today = timezone.localdate()

    def partner(self, code: str) -> Partner:
        return Partner.objects.get(code=code)

    def browser(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def api(self, user):
        """A token client; for a user the portal issues no token (a liaison, an administrator),
        the session the browser would use."""
        try:
            return token_client(user)
        except PermissionDenied:
            from rest_framework.test import APIClient

            client = APIClient()
            client.force_login(user)
            return client

    def refused_form(self, user, url: str, data: dict, sentence: str, status=(400, 403)) -> None:
        response = self.browser(user).post(url, data)
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (url, response.status_code)
        assert sentence in page_text(response), (sentence, url)

    def refused_api(self, user, method: str, url: str, data: dict | None, sentence: str, status=(400, 403)):
        response = getattr(self.api(user), method)(url, data, format="json")
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (url, response.status_code, response.content[:300])
        assert sentence in api_text(response), (sentence, api_text(response))

    def admin_refuses(self, model, obj=None) -> None:
        """The admin offers no add, change or delete for a lifecycle record."""
        client = self.browser(self.admin)
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.post(reverse(f"{info}_add"), {}).status_code == 403
        if obj is not None:
            assert client.post(reverse(f"{info}_change", args=[obj.pk]), {}).status_code == 403
            assert client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=obj.pk).exists()

    def transition_url(self, agreement, name: str) -> str:
        return reverse("agreement_transition", args=[agreement.reference, name])

    def api_transition(self, agreement) -> str:
        return f"/api/v1/agreements/{agreement.pk}/transitions/"

    def new_amendment(self, parent, amendment_type, partners=(), **fields) -> Agreement:
        return factories.AgreementFactory(
            user=self.po,
            kind=AgreementKind.AMENDMENT,
            parent=parent,
            partners=partners,
            title=f"{AmendmentType(amendment_type).label} of {parent.reference}",
            amendment_type=amendment_type,
            authority="",
            **fields,
        )

    def sign_all(self, agreement) -> None:
        """Record every missing signature (the last one may be refused)."""
        agreement.refresh_from_db()
        if not agreement.us_signature_date:
            self.sign(agreement, None)
        for participant in agreement.participants.filter(signature_date__isnull=True):
            self.sign(agreement, participant)

    def sign(self, agreement, participant, user=None):
        return workflow_services.agreement_transition(
            agreement=agreement,
            name="record_signature",
            user=user or self.po,
            participant=participant.pk if participant else None,
            signature_date=self.today,
            signatory_name="A. Signatory",
        )


def create_form_data(w: World, **fields) -> dict:
    data = {"kind": AgreementKind.MASTER, "title": "A proposal", "authority": LegalAuthority.USC_2350A}
    data.update(fields)
    return data


def create_api_payload(**fields) -> dict:
    data = {"kind": AgreementKind.MASTER, "title": "A proposal", "authority": LegalAuthority.USC_2350A}
    data.update(fields)
    return data


def s65_sentence(partner_name: str, reference: str = "") -> str:
    ref = f" {reference}" if reference else ""
    return (
        f"{partner_name} is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): "
        f"the Section 65 loan{ref} cannot be made to it."
    )


def lifecycle_admin_objects(agreement):
    from agreements.models import Contribution

    participant = agreement.participants.first()
    contribution = Contribution.objects.filter(participant__agreement=agreement).first()
    return [
        (Agreement, agreement),
        (Participant, participant),
        (SSOI, agreement.ssoi),
        (Contribution, contribution),
        (type(agreement.documents.first()), agreement.documents.first()),
        (CoordinationRound, agreement.coordination_rounds.first()),
        (TransitionLog, agreement.transition_logs.first()),
    ]
