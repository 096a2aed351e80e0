"""Whole-agreement validation: does an agreement, with its partners, keep every rule of its kind?

One place decides it: agreement_create/update, participant changes, amendment creation,
submit_rad and the other lifecycle steps (through ``agreements.lifecycle.agreement_valid``),
amendment application and the import (``workflow.imports.planning``, whose rows may name a parent
row of the same file, not stored yet: ``HeldInMemory``) all call ``agreement_violations``. The
module reads the models through the instances it is given (and ``apps.get_model``), never by
importing ``agreements.models``, so the models and the lifecycle conditions can both import it
without a circle.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q

from .choices import (
    AMENDABLE_STATES,
    PA_PARENT_STATES,
    TERMINAL_STATES,
    AgreementKind,
    AmendmentType,
    DdlStatus,
    State,
)

if TYPE_CHECKING:
    from partners.models import Partner

    from .models import Agreement


def _ref(agreement: Agreement) -> str:
    return f" {agreement.reference}" if agreement.reference else ""


def agreement_name(agreement: Agreement) -> str:
    """How a sentence names an agreement: its reference, or, for one not stored yet (a row of an
    import file), the external reference the file gives it."""
    return agreement.reference or agreement.external_reference


def _stored(agreement: Agreement) -> bool:
    return agreement.pk is not None and not agreement._state.adding


@dataclass(frozen=True)
class HeldInMemory:
    """Agreements a caller validates before they are stored (the import: rows of one file, whose
    parent may be another row of it). Validation asks ``partners_of`` for an agreement's partner
    ids (None: read them from the database) and adds ``children_of``'s agreements to those stored
    under an agreement; it leaves the foreign keys and the database constraints to the insert."""

    partners_of: Callable[[Agreement], Collection[int] | None]
    children_of: Callable[[Agreement], Iterable[Agreement]]


def _partner_ids(agreement: Agreement, held: HeldInMemory | None) -> Collection[int]:
    known = held.partners_of(agreement) if held is not None else None
    if known is not None:
        return known
    if not _stored(agreement):
        return set()
    return set(agreement.participants.values_list("partner_id", flat=True))


def parent_candidate_q(kind: str | None = None, organization_id: int | None = None) -> Q:
    """Which agreements may be the parent of a new agreement of ``kind`` (of either kind that takes
    a parent when None): a project arrangement's master not yet ended; an amendment's agreement
    signed or in force, and not itself an amendment, led by the proposer's organization
    (``organization_id``, when given: see ``amendment_lead_error``). ``parent_candidacy_error`` is
    the same test on one row, with the sentence; ``agreements.selectors.parent_candidates``
    applies it to a user."""
    for_pa = Q(kind=AgreementKind.MASTER, state__in=PA_PARENT_STATES)
    for_amendment = ~Q(kind=AgreementKind.AMENDMENT) & Q(state__in=AMENDABLE_STATES)
    if organization_id is not None:
        for_amendment &= Q(lead_organization_id=organization_id)
    if kind == AgreementKind.PROJECT_ARRANGEMENT:
        return for_pa
    if kind == AgreementKind.AMENDMENT:
        return for_amendment
    if kind is None:
        return for_pa | for_amendment
    return Q(pk__in=[])


def parent_candidate_q_for(user: Any, kind: str | None = None) -> Q:
    """``parent_candidate_q`` for ``user`` as the proposer: a program office amends only what its
    organization leads."""
    organization_id = user.organization_id if getattr(user, "is_program_office", False) else None
    return parent_candidate_q(kind, organization_id)


def amendment_lead_error(amendment: Agreement) -> str | None:
    """An amendment changes its parent, so only the organization that leads the parent may propose
    one: its program office holds the parent's pen (None when the amendment keeps the rule)."""
    parent = amendment.parent if amendment.kind == AgreementKind.AMENDMENT and amendment.parent_id else None
    if parent is None or not parent.lead_organization_id:
        return None
    if amendment.lead_organization_id == parent.lead_organization_id:
        return None
    return f"Only the program office of {parent.lead_organization} may amend {agreement_name(parent)}."


def _candidate_in_memory(parent: Agreement, kind: str) -> bool:
    """``parent_candidate_q`` asked of an agreement not stored yet, field by field."""
    if kind == AgreementKind.PROJECT_ARRANGEMENT:
        return parent.kind == AgreementKind.MASTER and parent.state in PA_PARENT_STATES
    return parent.kind != AgreementKind.AMENDMENT and parent.state in AMENDABLE_STATES


def parent_candidacy_error(parent: Agreement, kind: str) -> str | None:
    """Why ``parent`` cannot be the parent of an agreement of ``kind`` (None when it can). It asks
    ``parent_candidate_q`` about the stored row (or, for a parent not stored yet, about its
    fields), and only words the answer."""
    if kind not in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        return None  # Agreement.clean says that such an agreement has no parent
    stored_rows = type(parent)._default_manager
    if not _stored(parent):
        if _candidate_in_memory(parent, kind):
            return None
        stored = None
    else:
        if stored_rows.filter(parent_candidate_q(kind), pk=parent.pk).exists():
            return None
        stored = stored_rows.filter(pk=parent.pk).values_list("kind", "state").first()
    parent_kind, parent_state = stored or (parent.kind, parent.state)
    name = agreement_name(parent)
    if kind == AgreementKind.PROJECT_ARRANGEMENT:
        if parent_kind != AgreementKind.MASTER:
            return f"{name} is a {AgreementKind(parent_kind).label.lower()}, not a master agreement."
        return (
            f"The master agreement {name} is {State(parent_state).label.lower()}: "
            "no project arrangement can be concluded under it."
        )
    if parent_kind == AgreementKind.AMENDMENT:
        return "An amendment amends an agreement, not another amendment."
    return (
        f"{name} is {State(parent_state).label.lower()}: only an agreement that is signed or in force can be amended."
    )


def partner_eligibility_error(
    agreement: Agreement, partner: Partner, *, held: HeldInMemory | None = None
) -> str | None:
    """Why ``partner`` may not take part in ``agreement`` (None when it may): Section 65 loans go
    only to NATO (members, bodies, agencies) or major non-NATO allies; a project arrangement's
    partners are its master's; an amendment's partners are its parent's, unless it is a
    new-participant amendment, whose new partners must be eligible for the parent. ``held``: the
    agreements not stored yet (see HeldInMemory)."""
    if agreement.kind == AgreementKind.SECTION_65_LOAN and not partner.eligible_for_section_65:
        return (
            f"{partner.name} is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): "
            f"the Section 65 loan{_ref(agreement)} cannot be made to it."
        )
    parent = agreement.parent if agreement.parent_id else None
    if parent is None:
        return None
    if agreement.kind not in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        return None
    known = held.partners_of(parent) if held is not None else None
    if known is not None:
        in_parent = partner.pk in known
    else:
        in_parent = _stored(parent) and parent.participants.filter(partner=partner).exists()
    if agreement.kind == AgreementKind.PROJECT_ARRANGEMENT and not in_parent:
        return f"{partner.name} is not a participant in the master agreement {agreement_name(parent)}."
    if agreement.kind == AgreementKind.AMENDMENT and not in_parent:
        if agreement.amendment_type != AmendmentType.NEW_PARTICIPANT:
            return (
                f"{partner.name} does not take part in {agreement_name(parent)}: only a new-participant "
                "amendment adds a partner."
            )
        return partner_eligibility_error(parent, partner, held=held)
    return None


def project_arrangements_outliving(
    master: Agreement, expiration_date: dt.date | None, *, held: HeldInMemory | None = None
) -> list[str]:
    """A master may not end before the project arrangements in force under it (those stored, and
    ``held``'s not stored yet)."""
    if master.kind != AgreementKind.MASTER or expiration_date is None:
        return []
    in_force = (State.SIGNED, State.IN_FORCE)
    pas = []
    if _stored(master):
        pas += master.children.filter(
            kind=AgreementKind.PROJECT_ARRANGEMENT, state__in=in_force, expiration_date__gt=expiration_date
        )
    if held is not None:
        pas += [
            pa
            for pa in held.children_of(master)
            if pa.kind == AgreementKind.PROJECT_ARRANGEMENT
            and pa.state in in_force
            and pa.expiration_date
            and pa.expiration_date > expiration_date
        ]
    pas.sort(key=lambda pa: (pa.expiration_date, agreement_name(pa)))
    return [
        f"{agreement_name(master)} cannot end on {expiration_date:%Y-%m-%d}: its project arrangement "
        f"{agreement_name(pa)} in force expires on {pa.expiration_date:%Y-%m-%d}."
        for pa in pas
    ]


def amendment_result_errors(
    amendment: Agreement, partners: Iterable | None = None, *, held: HeldInMemory | None = None
) -> dict[str, list[str]]:
    """What would be wrong with the amended agreement once the amendment applies (``partners``:
    the amendment's, when not yet saved as its participants; ``held``: see HeldInMemory)."""
    errors: dict[str, list[str]] = defaultdict(list)
    parent = amendment.parent if amendment.parent_id else None
    if parent is None:
        return errors
    name = agreement_name(parent)
    if amendment.amendment_type == AmendmentType.EXTENSION and amendment.new_expiration_date:
        new = amendment.new_expiration_date
        if parent.effective_date and new <= parent.effective_date:
            errors["new_expiration_date"].append(
                f"The extension would end {name} on {new:%Y-%m-%d}, before it takes effect "
                f"({parent.effective_date:%Y-%m-%d})."
            )
        fixed = parent.fixed_entry_into_force_date
        if fixed and new <= fixed:
            errors["new_expiration_date"].append(
                f"The extension would end {name} on {new:%Y-%m-%d}, before it enters into force ({fixed:%Y-%m-%d})."
            )
        master = parent.parent if parent.kind == AgreementKind.PROJECT_ARRANGEMENT and parent.parent_id else None
        if master is not None and master.expiration_date and new > master.expiration_date:
            errors["new_expiration_date"].append(
                f"The extension would make {name} outlive its master {agreement_name(master)}, "
                f"which expires on {master.expiration_date:%Y-%m-%d}."
            )
        errors["new_expiration_date"].extend(project_arrangements_outliving(parent, new, held=held))
    if amendment.amendment_type == AmendmentType.NEW_PARTICIPANT:
        existing = _partner_ids(parent, held)
        if partners is None:
            partners = [p.partner for p in amendment.participants.select_related("partner")] if amendment.pk else []
        if not [p for p in partners if p.pk not in existing]:
            errors["partners"].append(
                f"A new-participant amendment names a partner that does not yet take part in {name}."
            )
    return {k: v for k, v in errors.items() if v}


def agreement_violations(
    agreement: Agreement,
    *,
    partners: Iterable | None = None,
    lead_partner: Partner | None = None,
    check_parent_state: bool = False,
    held: HeldInMemory | None = None,
    recorded_state: str | None = None,
) -> dict[str, list[str]]:
    """Every rule the agreement (with ``partners``, or its current participants) breaks, by field:
    its own fields (kind, authority, phase, dates, parent's kind and term), its partners and their
    eligibility, the parent's state (at creation; always for an amendment), the result of an
    amendment, and a master's term against its project arrangements in force.

    ``held``: agreements not stored yet (see HeldInMemory). ``recorded_state``: the state an
    agreement is recorded at without having been driven there (the import); the rules of the steps
    it took since then no longer ask: a closed agreement's parent state is not asked, nor the result
    of an amendment that is in force (its parent is that result) or closed."""
    errors: dict[str, list[str]] = defaultdict(list)
    exclude = ["reference", "state"]
    if held is not None:
        exclude += [f.name for f in agreement._meta.concrete_fields if f.is_relation]
    try:
        agreement.full_clean(exclude=exclude, validate_unique=False, validate_constraints=held is None)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[name].extend(m for m in messages if m not in errors[name])
    if partners is None:
        partners = [p.partner for p in agreement.participants.select_related("partner")] if agreement.pk else []
    partners = list(partners)
    if not partners:
        errors["partners"].append("Choose at least one partner.")
    elif len({p.pk for p in partners}) != len(partners):
        errors["partners"].append("Each partner may take part only once.")
    if lead_partner is not None and lead_partner.pk not in {p.pk for p in partners}:
        errors["lead_partner"].append(f"{lead_partner.name} is not among the agreement's partners.")
    for partner in partners:
        problem = partner_eligibility_error(agreement, partner, held=held)
        if problem:
            errors["partners"].append(problem)
    closed = recorded_state in TERMINAL_STATES
    applied = closed or (recorded_state == State.IN_FORCE and agreement.kind == AgreementKind.AMENDMENT)
    parent = agreement.parent if agreement.parent_id else None
    if parent is not None and not closed and (check_parent_state or agreement.kind == AgreementKind.AMENDMENT):
        problem = parent_candidacy_error(parent, agreement.kind)
        if problem and problem not in errors["parent"]:
            errors["parent"].append(problem)
    problem = amendment_lead_error(agreement) if not closed else None
    if problem:
        errors["parent"].append(problem)
    if agreement.kind == AgreementKind.AMENDMENT and not applied:
        for name, messages in amendment_result_errors(agreement, partners, held=held).items():
            errors[name].extend(messages)
    errors["expiration_date"].extend(project_arrangements_outliving(agreement, agreement.expiration_date, held=held))
    return {name: messages for name, messages in errors.items() if messages}


def validate_agreement(agreement: Agreement, **kwargs: Any) -> None:
    """Raise a ValidationError naming every rule the agreement breaks (see agreement_violations)."""
    errors = agreement_violations(agreement, **kwargs)
    if errors:
        raise ValidationError(errors)


def ddl_is_approved(agreement: Agreement) -> bool:
    """The agreement's DDL / TS&FD decision says approved (asked of the database, not a cached row)."""
    decisions = apps.get_model("agreements", "DdlDecision")._default_manager
    return decisions.filter(agreement_id=agreement.pk, status=DdlStatus.APPROVED).exists()
