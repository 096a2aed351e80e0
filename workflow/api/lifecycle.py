"""The lifecycle doors on an agreement: ``/agreements/{id}/transitions/`` and
``/agreements/{id}/congressional-notice/``. They belong to the workflow, but live under the
agreement resource, so the agreement ViewSet the API serves is composed here: the record's
ViewSet from ``agreements.api`` plus these actions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from agreements.api import views as agreement_views
from agreements.api.serializers import AgreementDetailSerializer
from agreements.partner_status import partner_status
from workflow.services import (
    AuditContext,
    agreement_transition,
    available_transitions,
    congressional_notice_record,
)
from workflow.transitions import TransitionName

from . import serializers as s

# What record_signature takes besides the name and the comment.
SIGNATURE_FIELDS = ("participant", "signature_date", "signatory_name", "signatory_title")


class AgreementLifecycleActions:
    """ViewSet mixin for the agreement ViewSet: list and run transitions, record the
    congressional notice. Answers with the agreement ViewSet's ``service_response``."""

    @extend_schema(
        methods=["GET"],
        summary="What the caller may do now, and why not the rest",
        responses=s.TransitionListSerializer,
    )
    @extend_schema(
        methods=["POST"],
        summary="Run one lifecycle transition",
        request=s.TransitionRunSerializer,
        responses=s.TransitionResultSerializer,
    )
    @action(detail=True, methods=["get", "post"], url_path="transitions", url_name="transitions")
    def transitions(self, request, pk=None):
        agreement = self.get_object()
        if request.method == "GET":
            status_now = partner_status(agreement.state).value
            if getattr(request.user, "is_liaison", False):
                # A liaison may do nothing, and the internal state, the transitions and their
                # conditions would all reveal U.S.-internal steps: the partner-facing status only.
                return Response({"partner_status": status_now, "transitions": []})
            options = available_transitions(agreement, request.user)
            data = {
                "state": agreement.state,
                "partner_status": status_now,
                "transitions": s.TransitionOptionSerializer(options, many=True).data,
            }
            return Response(data)
        data = self.service_input(s.TransitionRunSerializer)
        extra = {}
        if data["name"] == TransitionName.RECORD_SIGNATURE:
            extra = {key: data.get(key) for key in SIGNATURE_FIELDS}
        log = agreement_transition(
            agreement=agreement,
            name=data["name"],
            user=request.user,
            comment=data.get("comment", ""),
            context=AuditContext.from_request(request),
            expected_state=data.get("expected_state"),
            **extra,
        )
        fresh = self.get_queryset().get(pk=agreement.pk)
        result = {
            "name": log.transition,
            "source": log.source,
            "target": log.target,
            "timestamp": log.timestamp,
            "agreement": fresh,
        }
        return Response(s.TransitionResultSerializer(result, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Record the date Congress was notified (reviewer)",
        request=s.CongressionalNoticeSerializer,
        responses=AgreementDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="congressional-notice", url_name="congressional-notice")
    def congressional_notice(self, request, pk=None):
        agreement = self.get_object()
        data = self.service_input(s.CongressionalNoticeSerializer)
        agreement = congressional_notice_record(
            agreement=agreement,
            user=request.user,
            notice_date=data["notice_date"],
            context=AuditContext.from_request(request),
        )
        return self.service_response(agreement)


class AgreementViewSet(AgreementLifecycleActions, agreement_views.AgreementViewSet):
    """Agreements of every kind. Filters: kind, state, authority, partner (codes), organization
    (codes), effective/expiry/creation date ranges, ``q`` (reference and titles), ``ordering``."""
