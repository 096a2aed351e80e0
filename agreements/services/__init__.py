"""Every write a user can make to an agreement's record (the lifecycle itself is in
workflow.services). The browser, the API, the admin and background jobs all call these.

One module per family: ``access`` (who holds the pen, which fields), ``agreement``, ``records``
(participants, contributions, loan items), ``ssoi``, ``documents``, ``ddl`` and ``saved_views``.
Every public name is importable from ``agreements.services`` as well."""

from .access import AGREEMENT_ALWAYS_EDITABLE_FIELDS, AGREEMENT_EDITABLE_FIELDS, SSOI_FIELDS, agreement_edit_denial
from .agreement import agreement_create, agreement_update
from .ddl import ddl_decide, ddl_decision_denial, ddl_for, ddl_request_denial, ddl_review_request
from .documents import (
    StoredDocumentFile,
    document_create,
    document_edit_denial,
    document_file_store,
    document_update,
    document_upload,
    document_withdraw,
)
from .records import (
    contribution_add,
    contribution_delete,
    contribution_update,
    loan_item_add,
    loan_item_delete,
    participant_add,
    participant_last_denial,
    participant_remove,
    participant_update,
)
from .saved_views import SAVED_VIEW_KEYS, saved_view_create, saved_view_delete
from .ssoi import ssoi_confirm_reviewed, ssoi_update

__all__ = [
    "AGREEMENT_ALWAYS_EDITABLE_FIELDS",
    "AGREEMENT_EDITABLE_FIELDS",
    "SAVED_VIEW_KEYS",
    "SSOI_FIELDS",
    "StoredDocumentFile",
    "agreement_create",
    "agreement_edit_denial",
    "agreement_update",
    "contribution_add",
    "contribution_delete",
    "contribution_update",
    "ddl_decide",
    "ddl_decision_denial",
    "ddl_for",
    "ddl_request_denial",
    "ddl_review_request",
    "document_create",
    "document_edit_denial",
    "document_file_store",
    "document_update",
    "document_upload",
    "document_withdraw",
    "loan_item_add",
    "loan_item_delete",
    "participant_add",
    "participant_last_denial",
    "participant_remove",
    "participant_update",
    "saved_view_create",
    "saved_view_delete",
    "ssoi_confirm_reviewed",
    "ssoi_update",
]
