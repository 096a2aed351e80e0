"""Shared reads. ``agreements_visible_to`` is the one place that decides who sees which agreement:
the UI, the API, exports, PDFs and dashboards all start from it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from .choices import INTERNAL_GENERATED_DOCUMENT_KINDS, ContributionKind, DdlStatus
from .models import UNITED_STATES, Agreement, Contribution, Document, Participant, SavedView, parent_candidate_q_for

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from partners.models import User

    from .filters import AgreementFilterSet

    # Who asks: a signed-in user, an anonymous visitor, or nobody (a background job).
    Viewer = User | AnonymousUser | None


def agreements_visible_to(user: Viewer) -> QuerySet[Agreement]:
    """DoD users see every agreement; a liaison only its own partner's releasable ones."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agreement.objects.none()
    if user.is_liaison:
        own_partner = Participant.objects.filter(agreement=OuterRef("pk"), partner_id=user.partner_id)
        return Agreement.objects.filter(Exists(own_partner), releasable_to_partners=True)
    return Agreement.objects.all()


def agreements_listed(
    user: User, params: Mapping[str, Any], request: HttpRequest | None = None
) -> tuple[AgreementFilterSet, QuerySet[Agreement], str]:
    """The list a user asked for: visible agreements, the program office's own by default
    (``scope``), filtered and sorted by ``AgreementFilterSet`` from the query ``params`` (as
    ``user`` may filter: a liaison neither filters nor sorts by internal state). Returns
    (filterset, queryset, scope); the browser list, its exports and export jobs use it."""
    from types import SimpleNamespace

    from .filters import AgreementFilterSet

    queryset = agreements_visible_to(user).with_list_relations()
    scope = params.get("scope", "mine" if user.is_program_office else "all")
    if scope == "mine" and user.is_program_office:
        queryset = queryset.filter(lead_organization_id=user.organization_id)
    filterset = AgreementFilterSet(params or None, queryset=queryset, request=request or SimpleNamespace(user=user))
    queryset = filterset.qs
    if not params.get("ordering"):
        queryset = queryset.order_by("-created_at", "-pk")
    return filterset, queryset, scope


def parent_candidates(user: Viewer, kind: str | None = None) -> QuerySet[Agreement]:
    """The agreements ``user`` may choose as the parent of a new agreement of ``kind`` (see
    ``parent_candidate_q``; an amendment's only among those its organization leads); the proposal
    form lists these, and the service refuses any other."""
    return agreements_visible_to(user).filter(parent_candidate_q_for(user, kind))


def documents_visible_to(user: Viewer) -> QuerySet[Document]:
    """Documents of visible agreements; a liaison sees only those marked releasable."""
    documents = Document.objects.filter(agreement__in=agreements_visible_to(user))
    if user is not None and user.is_authenticated and user.is_liaison:
        # Marked releasable, of an agreement whose DDL is approved (a DDL not yet approved, or
        # refused later, holds every document back), and never a generated internal PDF.
        documents = (
            documents.filter(releasable_to_partners=True, agreement__ddl__status=DdlStatus.APPROVED)
            .exclude(kind__in=INTERNAL_GENERATED_DOCUMENT_KINDS)
            .filter(withdrawn_at__isnull=True)
        )
    return documents


def liaison_agreement_facts(agreement: Agreement, user: User) -> dict[str, Any]:
    """What a partner liaison's agreement page adds: its own nation's contributions and the
    signatures (who signed, for whom, when). Signatories not yet signed are not named."""
    own = (
        Participant.objects.filter(agreement=agreement, partner_id=user.partner_id)
        .select_related("partner")
        .prefetch_related("contributions")
        .first()
    )
    signatures = [
        {
            "party": UNITED_STATES,
            "signatory": agreement.us_signatory_name if agreement.us_signature_date else "",
            "title": agreement.us_signatory_title if agreement.us_signature_date else "",
            "date": agreement.us_signature_date,
        }
    ] + [
        {
            "party": p.partner.name,
            "signatory": p.signatory_name if p.signature_date else "",
            "title": p.signatory_title if p.signature_date else "",
            "date": p.signature_date,
            "own": p.partner_id == user.partner_id,
        }
        for p in agreement.participants.all()
    ]
    contributions = list(own.contributions.all()) if own else []
    return {
        "own_participant": own,
        "own_contributions": contributions,
        "own_total": sum((c.amount_usd for c in contributions), Decimal(0)),
        "signatures": signatures,
    }


def ddl_reviews_awaiting(user: Viewer) -> QuerySet[Agreement]:
    """Agreements whose TS&FD review has been asked for and awaits a disclosure office's decision,
    the longest waiting first (for a disclosure officer; nothing for anyone else)."""
    if user is None or not user.is_authenticated or not user.is_disclosure_officer:
        return Agreement.objects.none()
    return (
        agreements_visible_to(user)
        .open()
        .filter(ddl__status=DdlStatus.IN_REVIEW)
        .select_related("lead_organization", "ddl")
        .order_by("ddl__requested_at", "pk")
    )


def contributions_visible_to(user: Viewer) -> QuerySet[Contribution]:
    """Contributions of visible agreements; a liaison sees only its own nation's."""
    contributions = Contribution.objects.filter(agreement__in=agreements_visible_to(user))
    if user is not None and user.is_authenticated and user.is_liaison:
        contributions = contributions.filter(participant__partner_id=user.partner_id)
    return contributions


def equitability_table(agreement: Agreement) -> list[dict]:
    """Each participant's financial and in-kind contributions and share of the whole, the United
    States first (it is a participant too; ``participant`` and ``partner`` are None on its row).
    Shares are over every participant and sum to 100.0 % (largest-remainder rounding to 0.1 %).
    Two queries, summed in SQL."""
    totals = {
        (row["participant_id"], row["kind"]): row["amount"]
        for row in Contribution.objects.filter(agreement=agreement)
        .values("participant_id", "kind")
        .annotate(amount=Sum("amount_usd"))
        .order_by()
    }

    def row(participant: Participant | None) -> dict[str, Any]:
        key = participant.pk if participant is not None else None
        financial = totals.get((key, ContributionKind.FINANCIAL)) or Decimal(0)
        in_kind = totals.get((key, ContributionKind.NON_FINANCIAL)) or Decimal(0)
        return {
            "participant": participant,
            "partner": participant.partner if participant is not None else None,
            "is_united_states": participant is None,
            "name": participant.partner.name if participant is not None else UNITED_STATES,
            "code": participant.partner.code if participant is not None else "USA",
            "financial": financial,
            "in_kind": in_kind,
            "total": financial + in_kind,
        }

    rows = [row(None)] + [row(p) for p in agreement.participants.select_related("partner")]
    _shares(rows)
    return rows


def _shares(rows: list[dict]) -> None:
    """Percent of the grand total, to 0.1 %, rounded so that the shares add up to exactly 100.0."""
    grand_total = sum((r["total"] for r in rows), Decimal(0))
    if not grand_total:
        for r in rows:
            r["share"] = Decimal("0.0")
        return
    tenths = [r["total"] * 1000 / grand_total for r in rows]
    floors = [int(t) for t in tenths]
    left = 1000 - sum(floors)
    by_remainder = sorted(range(len(rows)), key=lambda i: (tenths[i] - floors[i], rows[i]["total"]), reverse=True)
    for i in by_remainder[:left]:
        floors[i] += 1
    for r, t in zip(rows, floors, strict=True):
        r["share"] = (Decimal(t) / 10).quantize(Decimal("0.1"))


def saved_views_for(user: Viewer) -> QuerySet[SavedView]:
    """A user's own saved views, and for a reviewer those other reviewers share with the team."""
    if user is None or not user.is_authenticated:
        return SavedView.objects.none()
    condition = Q(owner=user)
    if user.is_reviewer:
        condition |= Q(shared_with_team=True, owner__role=user.role, owner__is_active=True)
    return SavedView.objects.filter(condition).select_related("owner").order_by("name", "pk")[:50]
