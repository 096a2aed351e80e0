"""The conditions and permissions of the agreement lifecycle, each able to say why it fails.

They guard the django-fsm-2 transitions of ``agreements.models.Agreement`` and live beside it:
this module imports only the choices and the whole-agreement validation, never the models (it
reads them through the agreement it is given) and never the workflow app, so the data app loads
on its own. ``workflow.rules`` re-exports them with ``REASON_FIXES``, the browser tab that fixes
each failing condition.

Every rule is a callable that django-fsm-2 uses as a condition (``rule(agreement) -> bool``) or a
permission (``rule(agreement, user) -> bool``). ``condition.reasons(agreement)`` lists the
sentences a user reads when a condition fails (empty when it holds); ``permission.reason(agreement,
user)`` is the one sentence of a permission (``None`` when it holds). Rules only read; they never
write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone

from .choices import AgreementKind, DocumentKind, State
from .validation import agreement_name, agreement_violations, ddl_is_approved

if TYPE_CHECKING:
    from partners.models import User

    from .models import Agreement


class Condition:
    """A lifecycle condition: true when ``check`` returns no reason."""

    def __init__(self, check: Callable[[Agreement], str | list[str] | None]) -> None:
        self.check = check
        self.__name__ = check.__name__
        self.__doc__ = check.__doc__

    def __call__(self, agreement: Agreement) -> bool:
        return self.check(agreement) is None

    def reasons(self, agreement: Agreement) -> list[str]:
        """Every sentence saying why the condition fails (empty when it holds)."""
        result = self.check(agreement)
        if not result:
            return []
        return [result] if isinstance(result, str) else list(result)


class Permission:
    """A lifecycle permission: ``user`` None means the system itself (sweeps, background jobs)."""

    def __init__(self, check: Callable[[Agreement, User | None], str | None]) -> None:
        self.check = check
        self.__name__ = check.__name__
        self.__doc__ = check.__doc__

    def __call__(self, agreement: Agreement, user: User | None) -> bool:
        return self.check(agreement, user) is None

    def reason(self, agreement: Agreement, user: User | None) -> str | None:
        return self.check(agreement, user)


# --- permissions ------------------------------------------------------------------------------
@Permission
def is_lead_program_office(agreement: Agreement, user: User | None) -> str | None:
    """Only the program office of the lead organization holds the pen."""
    if user is None or not user.is_program_office or user.organization_id != agreement.lead_organization_id:
        return f"Only the program office of {agreement.lead_organization} may do this."
    return None


@Permission
def is_reviewer(agreement: Agreement, user: User | None) -> str | None:
    """Only an OUSD(A&S) reviewer may take the transition."""
    if user is None or not user.is_reviewer:
        return "Only an OUSD(A&S) reviewer may do this."
    return None


@Permission
def is_system(agreement: Agreement, user: User | None) -> str | None:
    """Only the portal itself (a sweep, no user) may take the transition."""
    if user is not None:
        return "The portal does this itself on the due date."
    return None


@Permission
def is_system_or_reviewer(agreement: Agreement, user: User | None) -> str | None:
    """A reviewer, or the portal itself, may take the transition."""
    if user is not None and not user.is_reviewer:
        return "Only an OUSD(A&S) reviewer (or the portal itself) may do this."
    return None


# --- conditions -------------------------------------------------------------------------------
@Condition
def has_participants(agreement: Agreement) -> str | None:
    """At least one partner takes part."""
    if not agreement.participants.exists():
        return "No partner takes part yet: add at least one participant."
    return None


@Condition
def has_authority(agreement: Agreement) -> str | None:
    """The legal authority is set."""
    if not agreement.authority:
        return "The legal authority is not set."
    return None


@Condition
def ssoi_complete(agreement: Agreement) -> str | None:
    """Every SSOI section the agreement's kind needs is filled in."""
    ssoi = getattr(agreement, "ssoi", None)
    if ssoi is None:
        return "The SSOI has not been started."
    missing = ssoi.missing_sections()
    if len(missing) == 1:
        return f"The SSOI section “{missing[0].label}” is empty."
    if missing:
        labels = ", ".join(f"“{s.label}”" for s in missing)
        return f"The SSOI sections {labels} are empty."
    return None


def _document_attached(agreement: Agreement, kind: str, label: str) -> str | None:
    if not agreement.documents.current().filter(kind=kind).exists():
        return f"No {label} is attached."
    return None


@Condition
def draft_text_attached(agreement: Agreement) -> str | None:
    """A draft text is attached."""
    return _document_attached(agreement, DocumentKind.DRAFT_TEXT, "draft text")


@Condition
def negotiated_text_attached(agreement: Agreement) -> str | None:
    """A negotiated text is attached."""
    return _document_attached(agreement, DocumentKind.NEGOTIATED_TEXT, "negotiated text")


@Condition
def termination_notice_attached(agreement: Agreement) -> str | None:
    """A termination notice is attached."""
    return _document_attached(agreement, DocumentKind.NOTICE, "termination notice")


@Condition
def contributions_entered(agreement: Agreement) -> str | list[str] | None:
    """Every participant contributes (cost sharing), the United States included; a Section 65
    loan lists its items instead."""
    if agreement.is_section_65:
        if not agreement.loan_items.exists():
            return "The loan list is empty: add the items to be loaned."
        return None
    reasons = []
    if not agreement.contributions.filter(participant__isnull=True).exists():
        reasons.append("No contribution is entered for the United States.")
    without = [p.partner.name for p in agreement.participants.select_related("partner") if not p.contributions.exists()]
    if without:
        reasons.append(f"No contribution is entered for {', '.join(without)}.")
    return reasons or None


@Condition
def master_in_force(agreement: Agreement) -> str | None:
    """A project arrangement moves on only while its master is in force (and not past its
    expiration date, whether or not the expiry sweep has run yet)."""
    if agreement.kind == AgreementKind.PROJECT_ARRANGEMENT:
        master = agreement.parent
        if master is None or master.state != State.IN_FORCE:
            ref = agreement_name(master) if master else "(none)"
            return f"The master agreement {ref} is not in force."
        if master.expiration_date and master.expiration_date <= timezone.localdate():
            return f"The master agreement {agreement_name(master)} expired on {master.expiration_date:%Y-%m-%d}."
        if master.expiration_date and not agreement.expiration_date:
            # Without its own end, the arrangement would outlive its master.
            return (
                f"Set the expiration date: it must fall within the term of the master agreement "
                f"{agreement_name(master)}, which expires on {master.expiration_date:%Y-%m-%d}."
            )
    return None


@Condition
def agreement_valid(agreement: Agreement) -> str | list[str] | None:
    """The whole agreement keeps every rule of its kind (agreements.validation.agreement_violations):
    partners and their eligibility, the parent and its term, dates, and an amendment's result."""
    errors = agreement_violations(agreement)
    reasons: list[str] = []
    for messages in errors.values():
        reasons.extend(m for m in messages if m not in reasons)
    return reasons or None


@Condition
def fixed_entry_into_force_date_reached(agreement: Agreement) -> str | None:
    """The fixed entry-into-force date has come."""
    if not agreement.fixed_entry_into_force_date:
        return "The agreement has no fixed entry-into-force date."
    if timezone.localdate() < agreement.fixed_entry_into_force_date:
        return f"The agreement enters into force on {agreement.fixed_entry_into_force_date:%Y-%m-%d}."
    return None


@Condition
def ssoi_updated_since_negotiation(agreement: Agreement) -> str | None:
    """The SSOI sent with the RFA reflects the negotiation: it was edited after negotiation began,
    or the program office deliberately confirmed it reviewed it and it still holds."""
    ssoi = getattr(agreement, "ssoi", None)
    since = agreement.state_changed_at
    if ssoi is not None and (ssoi.updated_at >= since or (ssoi.reviewed_at and ssoi.reviewed_at >= since)):
        return None
    return (
        "The SSOI has not been reviewed since negotiation began: update it, or confirm on the SSOI tab "
        "that it still holds."
    )


@Condition
def ddl_approved(agreement: Agreement) -> str | None:
    """The DDL / TS&FD decision record says approved (a disclosure office's decision)."""
    if not ddl_is_approved(agreement):
        return "The DDL is not approved."
    return None


@Condition
def coordination_complete(agreement: Agreement) -> str | None:
    """Every office concurred, explicitly or by silence past its deadline, and none objects."""
    # The reverse relation of workflow.models.CoordinationRound (CoordinationRoundQuerySet.current_for).
    round_ = agreement.coordination_rounds.open().order_by("-opened_at").first()
    if round_ is None:
        return "No coordination round is open."
    reasons = []
    now = timezone.now()
    for position in round_.positions.select_related("office"):
        if position.is_non_concurrence:
            reasons.append(f"{position.office.name} non-concurs.")
        elif not position.counts_as_concurrence(now):
            reasons.append(
                f"{position.office.name} has not concurred and its silence deadline is "
                f"{timezone.localtime(position.due_at):%Y-%m-%d}."
            )
    return reasons or None


@Condition
def congressional_wait_over(agreement: Agreement) -> str | None:
    """The congressional notice was recorded and its waiting period is over."""
    if not agreement.congressional_notice_date:
        return "The congressional notice date has not been recorded."
    ends = agreement.congressional_wait_ends_on
    if timezone.localdate() < ends:
        return f"The congressional waiting period runs until {ends:%Y-%m-%d}."
    return None


@Condition
def expiration_date_reached(agreement: Agreement) -> str | None:
    """The expiration date has come."""
    if not agreement.expiration_date:
        return "The agreement has no expiration date."
    if timezone.localdate() < agreement.expiration_date:
        return f"The agreement expires on {agreement.expiration_date:%Y-%m-%d}."
    return None
