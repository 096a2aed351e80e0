"""What a partner nation may know of where its agreement stands: a partner-facing status for every
internal state. Partner liaisons see only these (pages, stepper, filters, API, PDFs), never the
internal stage names or how long each took.

The mapping is chosen so that no U.S.-internal step can be inferred from a change of status:
  - a return for revision never changes the status: SSOI drafting and RAD review are both "Under
    U.S. review"; negotiation and RFA review are both "In negotiation";
  - the congressional wait is part of "In negotiation" (the text is not yet approved for signature);
  - a disapproval and a withdrawal both read "Discontinued".
Every internal state must have a partner status: ``partner_status`` fails loudly otherwise, and a
test checks the mapping covers every state."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class PartnerStatus(models.TextChoices):
    IN_PREPARATION = "in_preparation", "In preparation"
    UNDER_US_REVIEW = "under_us_review", "Under U.S. review"
    IN_NEGOTIATION = "in_negotiation", "In negotiation"
    APPROVED_FOR_SIGNATURE = "approved_for_signature", "Approved for signature"
    BEING_SIGNED = "being_signed", "Being signed"
    SIGNED = "signed", "Signed"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"
    DISCONTINUED = "discontinued", "Discontinued"


# Keyed by the state's value, so a state added to the lifecycle without a partner status is found
# by ``partner_status`` (and the test), never shown under its internal name.
PARTNER_STATUS_OF_STATE: dict[str, PartnerStatus] = {
    "proposal": PartnerStatus.IN_PREPARATION,
    "ssoi_drafting": PartnerStatus.UNDER_US_REVIEW,
    "rad_review": PartnerStatus.UNDER_US_REVIEW,
    "negotiation": PartnerStatus.IN_NEGOTIATION,
    "rfa_review": PartnerStatus.IN_NEGOTIATION,
    "congressional_wait": PartnerStatus.IN_NEGOTIATION,
    "approved": PartnerStatus.APPROVED_FOR_SIGNATURE,
    "signing": PartnerStatus.BEING_SIGNED,
    "signed": PartnerStatus.SIGNED,  # "Signed, awaiting entry into force"
    "in_force": PartnerStatus.IN_FORCE,
    "expired": PartnerStatus.EXPIRED,
    "terminated": PartnerStatus.TERMINATED,
    "withdrawn": PartnerStatus.DISCONTINUED,
    "disapproved": PartnerStatus.DISCONTINUED,
}

# The partner's stepper, in order.
PARTNER_STEPS: tuple[PartnerStatus, ...] = (
    PartnerStatus.IN_PREPARATION,
    PartnerStatus.UNDER_US_REVIEW,
    PartnerStatus.IN_NEGOTIATION,
    PartnerStatus.APPROVED_FOR_SIGNATURE,
    PartnerStatus.BEING_SIGNED,
    PartnerStatus.SIGNED,
    PartnerStatus.IN_FORCE,
)
# Statuses after which the agreement has ended (the stepper is complete or not shown).
PARTNER_ENDED = (PartnerStatus.EXPIRED, PartnerStatus.TERMINATED, PartnerStatus.DISCONTINUED)
PARTNER_STATUS_TONES = {
    PartnerStatus.IN_PREPARATION: "neutral",
    PartnerStatus.UNDER_US_REVIEW: "active",
    PartnerStatus.IN_NEGOTIATION: "active",
    PartnerStatus.APPROVED_FOR_SIGNATURE: "active",
    PartnerStatus.BEING_SIGNED: "active",
    PartnerStatus.SIGNED: "success",
    PartnerStatus.IN_FORCE: "success",
    PartnerStatus.EXPIRED: "ended",
    PartnerStatus.TERMINATED: "ended",
    PartnerStatus.DISCONTINUED: "ended",
}


def partner_status(state: str) -> PartnerStatus:
    """The partner-facing status of an internal state. A state without one is a programming
    error: it raises rather than show the internal name to a partner."""
    try:
        return PARTNER_STATUS_OF_STATE[str(state)]
    except KeyError:
        raise ImproperlyConfigured(
            f"The state {str(state)!r} has no partner-facing status: add it to PARTNER_STATUS_OF_STATE."
        ) from None


def partner_status_label(state: str) -> str:
    """The label a partner liaison reads for ``state``."""
    return partner_status(state).label


def states_with_partner_status(statuses) -> list[str]:
    """The internal states shown to partners as any of ``statuses`` (for filters)."""
    wanted = {str(s) for s in statuses}
    return [state for state, status in PARTNER_STATUS_OF_STATE.items() if status.value in wanted]


def partner_steps(state: str) -> list[dict]:
    """The partner's stepper: each partner-facing step, complete, current or upcoming. No dates or
    durations. An ended agreement shows every step it could have reached as complete when it
    expired or was terminated (it was in force), and no stepper when discontinued."""
    status = partner_status(state)
    if status == PartnerStatus.DISCONTINUED:
        return []
    current = (
        PARTNER_STEPS.index(PartnerStatus.IN_FORCE) + 1 if status in PARTNER_ENDED else PARTNER_STEPS.index(status)
    )
    steps = []
    for index, step in enumerate(PARTNER_STEPS):
        if step == PartnerStatus.BEING_SIGNED and status != PartnerStatus.BEING_SIGNED:
            continue  # a transient step: shown only while the signatures are coming in
        if step == PartnerStatus.SIGNED and status != PartnerStatus.SIGNED:
            continue  # only when entry into force waits for a fixed date
        step_status = "complete" if index < current else "current" if index == current else "upcoming"
        if step == PartnerStatus.IN_FORCE and status == PartnerStatus.IN_FORCE:
            step_status = "current"
        steps.append({"state": step.value, "label": step.label, "status": step_status, "days": None})
    return steps


def check_mapping(states) -> list[str]:
    """The states (values) that have no partner-facing status; empty when the mapping is complete."""
    return [str(s) for s in states if str(s) not in PARTNER_STATUS_OF_STATE]
