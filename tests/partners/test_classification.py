"""One property decides whether a partner counts as NATO, and every rule reads it: checked over
the whole reference data."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from agreements.choices import AgreementKind, LegalAuthority, State
from partners import reference_data as ref
from partners.models import Partner, PartnerKind

pytestmark = pytest.mark.django_db


def test_every_reference_partner_is_classified_as_the_statutes_say(cast):
    partners = {p.code: p for p in Partner.objects.all()}
    assert set(ref.NATO_BODIES) == {"NATO", "NSPA", "NCIA", "ACT"}
    for code in ref.NATO_MEMBERS:
        p = partners[code]
        assert p.counts_as_nato and p.eligible_for_section_65 and not p.only_other_friendly, code
        assert p.classification == "NATO member"
    for code in ref.NATO_BODIES:
        p = partners[code]
        assert p.kind == PartnerKind.ORGANIZATION and p.is_nato_body and not p.is_nato_member, code
        assert p.counts_as_nato and p.eligible_for_section_65 and not p.only_other_friendly, code
        assert p.classification == "NATO body or agency"
    for code in ref.MAJOR_NON_NATO_ALLIES:
        p = partners[code]
        assert not p.counts_as_nato and p.eligible_for_section_65 and not p.only_other_friendly, code
    for code in ref.OTHER_FRIENDLY:
        p = partners[code]
        assert not p.counts_as_nato and not p.eligible_for_section_65 and p.only_other_friendly, code
        assert p.classification == "Other friendly"
    eda = partners["EDA"]
    assert eda.is_eu_body and not eda.counts_as_nato and not eda.only_other_friendly
    assert not eda.eligible_for_section_65
    # Every partner is exactly one of these.
    for p in partners.values():
        assert p.classification


def test_only_an_organization_can_be_a_nato_body(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.filter(code="IND").update(is_nato_body=True)


@pytest.mark.parametrize(("code", "waits"), [("NSPA", False), ("NCIA", False), ("NATO", False), ("IND", True)])
def test_the_2350a_congressional_wait_follows_the_classification(code, waits, make_agreement):
    agreement = make_agreement(State.RFA_REVIEW, partners=(code,), authority=LegalAuthority.USC_2350A)
    assert agreement.needs_congressional_notice is waits
    # Section 65 eligibility reads the same property.
    if code != "IND":
        loan = make_agreement(State.PROPOSAL, kind=AgreementKind.SECTION_65_LOAN, partners=(code,))
        assert loan.participants.get().partner.code == code
