"""API v1 for agreements and their parts, one module per family: ``agreements`` (the record, its
SSOI, DDL decision and equitability), ``records`` (participants, contributions, loan items) and
``documents``. Every queryset starts from ``agreements_visible_to`` (or ``documents_visible_to``),
so an object outside the caller's scope is a 404; every write goes through the service that owns
the rule, and its refusal is presented as it is. The lifecycle actions are added to the
agreements endpoint by ``workflow.api.lifecycle``."""

from .agreements import AgreementViewSet
from .documents import DocumentViewSet
from .records import ContributionViewSet, LoanItemViewSet, ParticipantViewSet

__all__ = ["AgreementViewSet", "ContributionViewSet", "DocumentViewSet", "LoanItemViewSet", "ParticipantViewSet"]
