"""Browser pages of agreements (the records): the role-aware home, the list with filters and
exports, the proposal form, the agreement page's record tabs (overview, SSOI, participants,
documents), saved views and the comparison of versions. One module per page family;
``frame`` is the agreement page every tab shares. The lifecycle tabs (coordination, history) and
the actions, and search (which reads workflow's comments too), live in ``workflow.views``.

Views parse input, call a service and present its answer; no rule lives here."""

from .create import agreement_create
from .documents import agreement_documents, document_download
from .listing import agreement_export, agreement_list, home
from .overview import agreement_detail
from .participants import agreement_participants
from .ssoi import agreement_ssoi, agreement_ssoi_confirm_review, agreement_ssoi_section

__all__ = [
    "agreement_create",
    "agreement_detail",
    "agreement_documents",
    "agreement_export",
    "agreement_list",
    "agreement_participants",
    "agreement_ssoi",
    "agreement_ssoi_confirm_review",
    "agreement_ssoi_section",
    "document_download",
    "home",
]
