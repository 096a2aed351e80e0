"""Optional CAC/PKI sign-in: the certificate subject is believed only from the trusted proxy."""

from __future__ import annotations

import pytest

from icp_portal.security.models import CertificateIdentity, EventKind, Outcome

from .conftest import events, signed_in

pytestmark = pytest.mark.django_db
SUBJECT = "CN=DOE.JANE.A.1234567890,OU=USA,OU=PKI,OU=DoD,O=U.S. Government,C=US"
PROXY = "10.20.0.5"
URL = "/accounts/certificate/"


@pytest.fixture
def cac(settings, program_office):
    settings.CAC_ENABLED = True
    settings.CAC_TRUSTED_PROXIES = [PROXY]
    settings.CAC_SUBJECT_HEADER = "X-SSL-Client-S-DN"
    CertificateIdentity.objects.create(subject=SUBJECT, user=program_office)
    return settings


def post(client, *, address: str, subject: str | None = SUBJECT, consent: bool = True):
    data = {"consent": "on"} if consent else {}
    headers = {"REMOTE_ADDR": address}
    if subject is not None:
        headers["HTTP_X_SSL_CLIENT_S_DN"] = subject
    return client.post(URL, data, **headers)


def test_off_by_default(client, program_office):
    CertificateIdentity.objects.create(subject=SUBJECT, user=program_office)
    assert post(client, address=PROXY).status_code == 404
    assert not signed_in(client)
    assert "Sign in with CAC" not in client.get("/accounts/login/").content.decode()


def test_the_trusted_proxys_subject_signs_the_user_in(client, cac, program_office):
    assert "Sign in with CAC/PKI certificate" in client.get("/accounts/login/").content.decode()
    response = post(client, address=PROXY)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client) and client.session["_auth_user_id"] == str(program_office.pk)
    event = events(EventKind.SIGN_IN, outcome=Outcome.SUCCESS).get()
    assert event.user == program_office and event.detail == "signed in with certificate"
    assert CertificateIdentity.objects.get(subject=SUBJECT).last_used_at is not None


def test_a_spoofed_header_from_a_non_proxy_address_is_ignored(client, cac):
    response = post(client, address="203.0.113.66")
    assert response.status_code == 400
    assert "No certificate was presented" in response.content.decode()
    assert not signed_in(client)
    refused = events(EventKind.SIGN_IN, outcome=Outcome.FAILURE).get()
    assert refused.client_address == "203.0.113.66" and "not from a trusted proxy" in refused.detail


def test_a_forwarded_for_claiming_the_proxy_does_not_help(client, cac, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    response = client.post(
        URL, {"consent": "on"}, REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=PROXY, HTTP_X_SSL_CLIENT_S_DN=SUBJECT
    )
    assert response.status_code == 400 and not signed_in(client)


def test_an_unknown_subject_is_refused(client, cac):
    response = post(client, address=PROXY, subject="CN=SOMEONE.ELSE,O=U.S. Government,C=US")
    assert response.status_code == 403
    assert "not registered" in response.content.decode()
    assert not signed_in(client)


def test_the_banner_must_be_acknowledged(client, cac):
    response = post(client, address=PROXY, consent=False)
    assert response.status_code == 400 and not signed_in(client)
    assert events(EventKind.BANNER_ACK, outcome=Outcome.FAILURE).exists()


def test_a_locked_account_cannot_use_its_certificate(client, cac, program_office):
    cac.AXES_ENABLED = True
    for _ in range(3):
        client.post(
            "/accounts/login/", {"username": "program_office", "password": "wrong-password-xx", "consent": "on"}
        )
    response = post(client, address=PROXY)
    assert response.status_code == 429 and not signed_in(client)


def test_the_admin_maps_subjects_to_users(client, admin_user, reviewer):
    client.force_login(admin_user)
    page = client.get(f"/admin/partners/user/{reviewer.pk}/change/").content.decode()
    assert "CAC/PKI certificate subjects" in page
    response = client.post(
        "/admin/security/certificateidentity/add/", {"subject": "CN=REVIEWER.R,C=US", "user": reviewer.pk}
    )
    assert response.status_code == 302
    assert CertificateIdentity.objects.get(subject="CN=REVIEWER.R,C=US").user == reviewer
