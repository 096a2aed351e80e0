"""The agreement serializers, one module per family: shared input ``fields``, the agreement
``agreements`` record and SSOI (its list's rows built by ``list_rows``), its parts (``records``:
participants, contributions, loan items) and ``documents`` with the DDL decision. Output
serializers list the fields a partner liaison never receives in ``Meta.internal_fields``; input
serializers only shape and type the input, the services decide what is allowed. The lifecycle
serializers are in ``workflow.api.serializers``; the coordination round the detail shows is
read by ``workflow.api.briefs``."""

from .agreements import (
    AgreementCreateSerializer,
    AgreementDetailSerializer,
    AgreementSerializer,
    AgreementUpdateSerializer,
    ParticipantBriefSerializer,
    SsoiSectionSerializer,
    SsoiSerializer,
    SsoiUpdateSerializer,
)
from .documents import (
    DdlDecideSerializer,
    DdlDecisionSerializer,
    DdlRequestSerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    DocumentUploadSerializer,
    DocumentWithdrawSerializer,
)
from .fields import PartnerCodeField, PartnerCodeListField, VisibleAgreementField
from .list_rows import AgreementListRows
from .records import (
    ContributionCreateSerializer,
    ContributionSerializer,
    ContributionUpdateSerializer,
    EquitabilityRowSerializer,
    LoanItemCreateSerializer,
    LoanItemSerializer,
    ParticipantCreateSerializer,
    ParticipantSerializer,
    ParticipantUpdateSerializer,
)

__all__ = [
    "AgreementCreateSerializer",
    "AgreementDetailSerializer",
    "AgreementListRows",
    "AgreementSerializer",
    "AgreementUpdateSerializer",
    "ContributionCreateSerializer",
    "ContributionSerializer",
    "ContributionUpdateSerializer",
    "DdlDecideSerializer",
    "DdlDecisionSerializer",
    "DdlRequestSerializer",
    "DocumentSerializer",
    "DocumentUpdateSerializer",
    "DocumentUploadSerializer",
    "DocumentWithdrawSerializer",
    "EquitabilityRowSerializer",
    "LoanItemCreateSerializer",
    "LoanItemSerializer",
    "ParticipantBriefSerializer",
    "ParticipantCreateSerializer",
    "ParticipantSerializer",
    "ParticipantUpdateSerializer",
    "PartnerCodeField",
    "PartnerCodeListField",
    "SsoiSectionSerializer",
    "SsoiSerializer",
    "SsoiUpdateSerializer",
    "VisibleAgreementField",
]
