"""Shared reads. ``agreements_visible_to`` is the one place that decides who sees which agreement:
the UI, the API, exports, PDFs and dashboards all start from it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from .models import Agreement, Document, Participant, parent_candidate_q


def agreements_visible_to(user) -> QuerySet[Agreement]:
    """DoD users see every agreement; a liaison only its own partner's releasable ones."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agreement.objects.none()
    if user.is_liaison:
        own_partner = Participant.objects.filter(agreement=OuterRef("pk"), partner_id=user.partner_id)
        return Agreement.objects.filter(Exists(own_partner), releasable_to_partners=True)
    return Agreement.objects.all()


def parent_candidates(user, kind: str | None = None) -> QuerySet[Agreement]:
    """The agreements ``user`` may choose as the parent of a new agreement of ``kind`` (see
    ``parent_candidate_q``); the proposal form lists these, and the service refuses any other."""
    return agreements_visible_to(user).filter(parent_candidate_q(kind))


def documents_visible_to(user) -> QuerySet[Document]:
    """Documents of visible agreements; a liaison sees only those marked releasable."""
    documents = Document.objects.filter(agreement__in=agreements_visible_to(user))
    if user is not None and user.is_authenticated and user.is_liaison:
        documents = documents.filter(releasable_to_partners=True, withdrawn_at__isnull=True)
    return documents


def equitability_table(agreement: Agreement) -> list[dict]:
    """Each participant's total contribution and share of the whole, for the equitability view."""
    participants = agreement.participants.select_related("partner").prefetch_related("contributions")
    rows = []
    for participant in participants:
        financial = sum((c.amount_usd for c in participant.contributions.all() if c.kind == "financial"), Decimal(0))
        in_kind = sum((c.amount_usd for c in participant.contributions.all() if c.kind != "financial"), Decimal(0))
        rows.append(
            {
                "participant": participant,
                "partner": participant.partner,
                "financial": financial,
                "in_kind": in_kind,
                "total": financial + in_kind,
            }
        )
    grand_total = sum((r["total"] for r in rows), Decimal(0))
    for row in rows:
        row["share"] = (row["total"] / grand_total * 100).quantize(Decimal("0.1")) if grand_total else Decimal(0)
    return rows
