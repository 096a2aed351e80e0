"""What each PDF shows: the template and context of the SSOI, the agreement summary, the
partner summary and the register of agreements in force."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from agreements.choices import AgreementKind, State
from agreements.models import Agreement
from agreements.partner_status import partner_status_label
from agreements.selectors import agreements_visible_to, equitability_table, liaison_agreement_facts
from agreements.services import ddl_for
from partners.models import Partner, User

from ..models import RenderKind, ReportingObligation, TransitionLog
from ..transitions import TransitionName, event_label

# States in which the agreement is signed: no DRAFT watermark.
SIGNED_STATES = (State.SIGNED, State.IN_FORCE, State.EXPIRED, State.TERMINATED)
# A summary's timeline up to this many events is printed whole; a longer one is summarised.
SUMMARY_TIMELINE_ROWS = 40
# A register of more agreements than this uses the compact layout (one line per agreement).
REGISTER_COMPACT_OVER = 1500


TEMPLATE = {
    RenderKind.SSOI: "pdf/ssoi.html",
    RenderKind.SUMMARY: "pdf/summary.html",
    RenderKind.REGISTER: "pdf/register.html",
    RenderKind.PARTNER_SUMMARY: "pdf/partner_summary.html",
}


def _base_context(title: str, reference: str, draft: bool) -> dict:
    return {
        "doc_title": title,
        "reference": reference,
        "banner_marking": settings.PORTAL_MARKING,
        "draft": draft,
    }


def _ddl_sentence(ddl) -> str:
    if ddl.decision_date and ddl.deciding_office_id:
        return f"{ddl.get_status_display()} by {ddl.deciding_office.name} on {ddl.decision_date:%Y-%m-%d}"
    return ddl.get_status_display()


def ssoi_context(agreement: Agreement) -> dict:
    """The SSOI, section by section in template order, with the contributions table (each
    participant's share) or, for a Section 65 loan, the loan list."""
    agreement = (
        Agreement.objects.select_related("lead_organization", "parent", "action_officer", "ssoi")
        .prefetch_related("participants__partner", "loan_items")
        .get(pk=agreement.pk)
    )
    ssoi = agreement.ssoi
    ddl = ddl_for(agreement)
    sections = []
    for number, section in enumerate(ssoi.sections(), start=1):
        entry = {"number": number, "key": section.key, "label": section.label, "complete": section.is_complete(ssoi)}
        if section.key == "ddl_status":
            entry["paragraphs"] = [("Status", _ddl_sentence(ddl))]
            if ssoi.ddl_notes:
                entry["paragraphs"].append(("Notes", ssoi.ddl_notes))
        elif section.fields:
            entry["paragraphs"] = [
                (
                    ssoi._meta.get_field(name).verbose_name.capitalize() if len(section.fields) > 1 else "",
                    getattr(ssoi, name),
                )
                for name in section.fields
            ]
        sections.append(entry)
    rows = equitability_table(agreement)
    loan_items = list(agreement.loan_items.all())
    complete, total = ssoi.completeness()
    return {
        **_base_context(
            f"Summary Statement of Intent — {agreement.reference}",
            agreement.reference,
            agreement.state not in SIGNED_STATES,
        ),
        "agreement": agreement,
        "participants": list(agreement.participants.all()),
        "sections": sections,
        "contributions": rows,
        "contributions_total": sum((r["total"] for r in rows), 0),
        "loan_items": loan_items,
        "loan_total": sum((i.total_value_usd for i in loan_items), 0),
        "completeness": (complete, total),
        "ddl_status": _ddl_sentence(ddl),
    }


def summary_context(agreement: Agreement) -> dict:
    """Key facts, participants and signatures, the lifecycle timeline from the audit trail and
    the reporting obligations."""
    agreement = (
        Agreement.objects.select_related("lead_organization", "parent", "action_officer")
        .prefetch_related("participants__partner")
        .get(pk=agreement.pk)
    )
    timeline = [
        {
            "when": log.timestamp,
            "event": event_label(log.transition),
            "source": log.get_source_display(),
            "target": log.get_target_display(),
            "state_change": log.source != log.target,
            "actor": log.actor,
            "comment": log.comment,
        }
        for log in TransitionLog.objects.filter(agreement=agreement).select_related("user").order_by("timestamp", "pk")
    ]
    timeline_total = len(timeline)
    timeline = summarise_timeline(timeline)
    obligations = list(ReportingObligation.objects.filter(agreement=agreement).order_by("due_date"))
    today = timezone.localdate()
    return {
        **_base_context(
            f"Agreement summary — {agreement.reference}", agreement.reference, agreement.state not in SIGNED_STATES
        ),
        "agreement": agreement,
        "participants": list(agreement.participants.all()),
        "timeline": timeline,
        "timeline_total": timeline_total,
        "timeline_summarised": len(timeline) < timeline_total,
        "obligations": [{"obligation": o, "overdue": o.is_overdue(today)} for o in obligations],
        "amendments": list(agreement.children.filter(kind=AgreementKind.AMENDMENT).order_by("created_at")),
        "project_arrangements": list(
            agreement.children.filter(kind=AgreementKind.PROJECT_ARRANGEMENT).order_by("reference")
        ),
    }


def summarise_timeline(timeline: list[dict]) -> list[dict]:
    """A long history, readable on a few pages: every state change on its own line, the other
    events (positions, notices, amendments applied…) grouped by kind and year with their count and
    dates. A history of up to SUMMARY_TIMELINE_ROWS events is shown whole."""
    if len(timeline) <= SUMMARY_TIMELINE_ROWS:
        return timeline
    rows: list[dict] = []
    groups: dict[tuple[str, int], dict] = {}
    for entry in timeline:
        if entry["state_change"]:
            rows.append(entry)
            continue
        key = (entry["event"], entry["when"].year)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**entry, "count": 0, "until": entry["when"], "actor": "", "comment": ""}
            rows.append(group)
        group["count"] += 1
        group["until"] = entry["when"]
    for group in groups.values():
        if group["count"] > 1:
            group["event"] = f"{group['event']} ×{group['count']}"
    return rows


def partner_summary_context(agreement: Agreement, *, user: User | None) -> dict:
    """The partner-safe summary: key facts with the partner-facing status, the participants and
    signatures and, for a liaison, its own nation's contributions. Nothing internal: no notes,
    comments, coordination positions, stage names, internal dates or durations."""
    agreement = (
        Agreement.objects.select_related("lead_organization")
        .prefetch_related("participants__partner")
        .get(pk=agreement.pk)
    )
    viewer = user if user is not None and user.is_liaison else None
    facts = liaison_agreement_facts(agreement, viewer) if viewer is not None else {}
    signatures = facts.get("signatures") or liaison_agreement_facts(agreement, _NoPartner())["signatures"]
    return {
        **_base_context(
            f"Agreement summary for partners — {agreement.reference}",
            agreement.reference,
            agreement.state not in SIGNED_STATES,
        ),
        "agreement": agreement,
        "status_label": partner_status_label(agreement.state),
        "participants": list(agreement.participants.all()),
        "signatures": signatures,
        "own_partner": viewer.partner if viewer is not None else None,
        "own_contributions": facts.get("own_contributions", []),
        "own_total": facts.get("own_total", 0),
    }


class _NoPartner:
    """A viewer bound to no partner (a DoD user previewing what partners receive)."""

    partner_id = None


def agreements_in_force_on(queryset, as_of: dt.date):
    """The agreements of ``queryset`` that were in force on ``as_of``: entered into force by
    then, not yet expired, and not terminated before it."""
    terminated_by = TransitionLog.objects.filter(
        transition=TransitionName.TERMINATE, timestamp__date__lte=as_of
    ).values("agreement_id")
    return (
        queryset.filter(state__in=SIGNED_STATES, entry_into_force_date__lte=as_of)
        .filter(Q(expiration_date__isnull=True) | Q(expiration_date__gt=as_of))
        .exclude(pk__in=terminated_by)
        .exclude(kind=AgreementKind.AMENDMENT)
    )


def register_context(*, user: User, as_of: dt.date, partner: Partner | None = None) -> dict:
    """Agreements in force on ``as_of``, grouped by partner like a "treaties in force" listing.
    Built from ``agreements_visible_to(user)``: a liaison's variant holds only its own nation's
    releasable agreements; ``partner`` narrows a DoD user's register to one partner."""
    releasable = user.is_liaison
    if releasable:
        partner = user.partner
    agreements = list(
        agreements_in_force_on(agreements_visible_to(user), as_of)
        .select_related("lead_organization", "parent")
        .prefetch_related("participants__partner")
        .order_by("entry_into_force_date", "reference")
    )
    by_partner: dict[int, dict] = {}
    multilateral = []
    for agreement in agreements:
        participants = list(agreement.participants.all())
        if partner is not None and not any(p.partner_id == partner.pk for p in participants):
            continue
        if len(participants) > 1 and partner is None:
            multilateral.append(agreement)
            continue
        for participant in participants:
            if partner is not None and participant.partner_id != partner.pk:
                continue
            group = by_partner.setdefault(participant.partner_id, {"partner": participant.partner, "agreements": []})
            group["agreements"].append(agreement)
    groups = sorted(by_partner.values(), key=lambda g: g["partner"].name)
    count = len({a.pk for g in groups for a in g["agreements"]} | {a.pk for a in multilateral})
    scope = f" — {partner.name}" if partner is not None else ""
    return {
        **_base_context(f"Agreements in force on {as_of:%d %B %Y}{scope}", f"Register {as_of:%Y-%m-%d}", False),
        "as_of": as_of,
        "groups": groups,
        "multilateral": multilateral,
        "releasable": releasable,
        "partner": partner,
        "count": count,
        "compact": count > REGISTER_COMPACT_OVER,
    }
