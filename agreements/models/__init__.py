"""Agreements of every kind, their participants, contributions, loan items, SSOI and documents.

One module per family: ``agreement`` (the agreement and its state machine, whose conditions and
permissions are in ``agreements.lifecycle``), ``records`` (participants, contributions, loan
items), ``ssoi``, ``documents`` (documents and the DDL decision) and ``saved_view``. The
whole-agreement rules are in ``agreements.validation`` and are importable from here as before.
"""

from ..validation import (
    agreement_violations,
    amendment_result_errors,
    ddl_is_approved,
    parent_candidacy_error,
    parent_candidate_q,
    parent_candidate_q_for,
    partner_eligibility_error,
    project_arrangements_outliving,
    validate_agreement,
)
from .agreement import Agreement, AgreementQuerySet, ReferenceCounter
from .documents import DdlDecision, Document, DocumentQuerySet, document_release_denial, document_upload_to
from .records import UNITED_STATES, Contribution, LoanItem, Participant
from .saved_view import SavedView
from .ssoi import SSOI, SSOI_SECTIONS, SsoiSection

__all__ = [
    "SSOI",
    "SSOI_SECTIONS",
    "UNITED_STATES",
    "Agreement",
    "AgreementQuerySet",
    "Contribution",
    "DdlDecision",
    "Document",
    "DocumentQuerySet",
    "LoanItem",
    "Participant",
    "ReferenceCounter",
    "SavedView",
    "SsoiSection",
    "agreement_violations",
    "amendment_result_errors",
    "ddl_is_approved",
    "document_release_denial",
    "document_upload_to",
    "parent_candidacy_error",
    "parent_candidate_q",
    "parent_candidate_q_for",
    "partner_eligibility_error",
    "project_arrangements_outliving",
    "validate_agreement",
]
