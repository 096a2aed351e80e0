"""Every choice list of the agreement domain, in one place."""

from django.db import models


class AgreementKind(models.TextChoices):
    MASTER = "master", "Master RDT&E agreement"
    PROJECT_ARRANGEMENT = "project_arrangement", "Project arrangement"
    SYSTEM_LEVEL = "system_level", "System-level agreement"
    SECTION_65_LOAN = "section_65_loan", "Section 65 loan"
    AMENDMENT = "amendment", "Amendment"


class SystemPhase(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    PRODUCTION = "production", "Production"
    SUSTAINMENT = "sustainment", "Sustainment"
    FOLLOW_ON_DEVELOPMENT = "follow_on_development", "Follow-on development"


class LegalAuthority(models.TextChoices):
    USC_2350A = "usc_2350a", "10 USC 2350a (cooperative R&D)"
    AECA_27 = "aeca_27", "AECA §27 (22 USC 2767)"
    AECA_65 = "aeca_65", "AECA §65 (22 USC 2796d)"
    OTHER = "other", "Other authority"


class AmendmentType(models.TextChoices):
    EXTENSION = "extension", "Extension"
    SCOPE = "scope", "Scope change"
    NEW_PARTICIPANT = "new_participant", "New participant"
    OTHER = "other", "Other"


class Marking(models.TextChoices):
    UNCLASSIFIED = "UNCLASSIFIED", "UNCLASSIFIED"
    CUI = "CUI", "CUI"
    FOUO = "FOUO", "FOR OFFICIAL USE ONLY"


class State(models.TextChoices):
    PROPOSAL = "proposal", "Proposal"
    SSOI_DRAFTING = "ssoi_drafting", "SSOI drafting"
    RAD_REVIEW = "rad_review", "RAD review"
    NEGOTIATION = "negotiation", "Negotiation"
    RFA_REVIEW = "rfa_review", "RFA review"
    CONGRESSIONAL_WAIT = "congressional_wait", "Congressional wait"
    APPROVED = "approved", "Approved to conclude"
    SIGNING = "signing", "Signing"
    SIGNED = "signed", "Signed, awaiting entry into force"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DISAPPROVED = "disapproved", "Disapproved"


TERMINAL_STATES = (State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.DISAPPROVED)
REVIEW_STATES = (State.RAD_REVIEW, State.RFA_REVIEW)
# The states a program office holds the pen in: it may edit the record.
PROGRAM_OFFICE_EDITABLE_STATES = (State.PROPOSAL, State.SSOI_DRAFTING, State.NEGOTIATION)
# The main line of the lifecycle, in order (the UI's stepper).
LIFECYCLE_STEPS = (
    State.PROPOSAL,
    State.SSOI_DRAFTING,
    State.RAD_REVIEW,
    State.NEGOTIATION,
    State.RFA_REVIEW,
    State.CONGRESSIONAL_WAIT,
    State.APPROVED,
    State.SIGNING,
    State.SIGNED,
    State.IN_FORCE,
)
# The states an agreement may be amended in: concluded (signed) and not ended.
AMENDABLE_STATES = (State.SIGNED, State.IN_FORCE)
# The states in which a master may still receive a new project arrangement (not ended).
PA_PARENT_STATES = tuple(s for s in State if s not in TERMINAL_STATES)


class ParticipantRole(models.TextChoices):
    LEAD = "lead", "Lead"
    PARTICIPANT = "participant", "Participant"


class ContributionKind(models.TextChoices):
    FINANCIAL = "financial", "Financial"
    NON_FINANCIAL = "non_financial", "Non-financial (in kind)"


class DocumentKind(models.TextChoices):
    DRAFT_TEXT = "draft_text", "Draft text"
    NEGOTIATED_TEXT = "negotiated_text", "Negotiated text"
    SSOI_PDF = "ssoi_pdf", "SSOI (PDF)"
    SUMMARY_PDF = "summary_pdf", "Agreement summary (PDF)"
    DDL = "ddl", "Delegation of Disclosure Authority Letter"
    SIGNED_TEXT = "signed_text", "Signed text"
    NOTICE = "notice", "Notice"
    OTHER = "other", "Other"


class DdlStatus(models.TextChoices):
    """Where the DDL / TS&FD decision of an agreement stands. The program office only asks for the
    review; approval and refusal are decisions of a disclosure office."""

    NOT_STARTED = "not_started", "Not started"
    IN_REVIEW = "in_review", "In TS&FD review"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Not approved"


# The decisions a disclosure office records.
DDL_DECISIONS = (DdlStatus.APPROVED, DdlStatus.DENIED)
# Generated PDFs that carry internal content (transition comments, coordination positions, the
# SSOI business case): never releasable to partners.
INTERNAL_GENERATED_DOCUMENT_KINDS = (DocumentKind.SSOI_PDF, DocumentKind.SUMMARY_PDF)
