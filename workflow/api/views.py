"""API v1 for coordination rounds and positions, reporting obligations, the audit trail, the
dashboard and render jobs. Reads start from the workflow selectors; writes call the services."""

from __future__ import annotations

from functools import partial

from django.db.models import Prefetch, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.selectors import agreements_visible_to
from icp_portal.api import PortalFilterBackend, PortalViewMixin
from icp_portal.pagination import Paginator
from partners.api.common import PortalCursorPagination, PortalPagination
from workflow import services
from workflow.filters import AuditFilterSet, ObligationFilterSet, PositionFilterSet, RoundFilterSet
from workflow.models import RenderJob
from workflow.selectors import (
    coordination_rounds_visible_to,
    dashboard_figures,
    obligations_visible_to,
    positions_visible_to,
    review_queue_for,
    transition_logs_visible_to,
)
from workflow.services import AuditContext

from . import serializers as s


class ReadOnlyViewSet(PortalViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]


# --- coordination ------------------------------------------------------------------------------
class CoordinationRoundViewSet(ReadOnlyViewSet):
    """RAD and RFA coordination rounds (DoD only; a liaison gets an empty list)."""

    serializer_class = s.CoordinationRoundSerializer
    filterset_class = RoundFilterSet

    def get_queryset(self):
        positions = positions_visible_to(self.request.user).order_by("due_at", "office__name", "pk")
        return (
            coordination_rounds_visible_to(self.request.user)
            .select_related("agreement")
            .prefetch_related(Prefetch("positions", queryset=positions))
            .order_by("-opened_at", "pk")
        )

    @extend_schema(
        summary="Set the offices of the open round (reviewer)",
        request=s.RoundOfficesSerializer,
        responses=s.CoordinationRoundSerializer,
    )
    @action(detail=True, methods=["post"], url_path="offices", url_name="offices")
    def offices(self, request, pk=None):
        round_ = self.get_object()
        data = self.service_input(s.RoundOfficesSerializer)
        services.coordination_offices_set(
            agreement=round_.agreement,
            user=request.user,
            offices=data["offices"],
            context=AuditContext.from_request(request),
        )
        fresh = self.get_queryset().get(pk=round_.pk)
        return Response(self.get_serializer(fresh).data)


class CoordinationPositionViewSet(ReadOnlyViewSet):
    """Coordination positions (DoD only). Coordinators record their office's position with
    ``POST /coordination-positions/{id}/record/``; a reviewer reminds a silent office with
    ``POST /coordination-positions/{id}/remind/``."""

    serializer_class = s.CoordinationPositionSerializer
    filterset_class = PositionFilterSet

    def get_queryset(self):
        return (
            positions_visible_to(self.request.user)
            .filter(round__agreement__in=agreements_visible_to(self.request.user))
            .order_by("due_at", "office__name", "pk")
        )

    @extend_schema(
        summary="Record your office's position (coordinator)",
        request=s.PositionRecordSerializer,
        responses=s.CoordinationPositionSerializer,
    )
    @action(detail=True, methods=["post"], url_path="record", url_name="record")
    def record(self, request, pk=None):
        position = self.get_object()
        data = self.service_input(s.PositionRecordSerializer)
        position = services.coordination_position_record(
            position=position, user=request.user, context=AuditContext.from_request(request), **data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=position.pk)).data)

    @extend_schema(
        summary="Remind an office that has not answered (reviewer; once a day per position)",
        request=None,
        responses=s.PositionReminderSerializer,
    )
    @action(detail=True, methods=["post"], url_path="remind", url_name="remind")
    def remind(self, request, pk=None):
        position = self.get_object()
        notified = services.coordination_reminder_send(
            position=position, user=request.user, context=AuditContext.from_request(request)
        )
        return Response({"position": position.pk, "office": position.office.name, "notified": notified})


# --- obligations -------------------------------------------------------------------------------
class ReportingObligationViewSet(ReadOnlyViewSet):
    """Reporting obligations after entry into force (DoD only)."""

    serializer_class = s.ReportingObligationSerializer
    filterset_class = ObligationFilterSet

    def get_queryset(self):
        return (
            obligations_visible_to(self.request.user)
            .select_related("agreement", "completed_by")
            .order_by("due_date", "pk")
        )

    @extend_schema(
        summary="Mark the obligation done (lead program office or reviewer)",
        request=s.ObligationCompleteSerializer,
        responses=s.ReportingObligationSerializer,
    )
    @action(detail=True, methods=["post"], url_path="complete", url_name="complete")
    def complete(self, request, pk=None):
        obligation = self.get_object()
        data = self.service_input(s.ObligationCompleteSerializer)
        obligation = services.obligation_complete(
            obligation=obligation,
            user=request.user,
            context=AuditContext.from_request(request),
            **data,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=obligation.pk)).data)


# --- audit trail -------------------------------------------------------------------------------
class AuditLogPagination(PortalCursorPagination):
    """Newest event first, ties broken by id: the order the endpoint always had, and every
    history page's. DRF positions the cursor on the timestamp (the first key; ``timestamp`` has
    its index) and skips the rows of a tied timestamp already read by an offset; ties are rare
    (microsecond timestamps). Not ``-pk`` alone: ids follow the order rows were written, which
    is not the order events happened when a history is written after the fact (the demo's
    clock, generated portfolios), nor quite under concurrent writes."""

    ordering = ("-timestamp", "-pk")


class AuditLogViewSet(ReadOnlyViewSet):
    """The append-only audit trail of visible agreements (read only; DoD users only, a liaison
    gets none). Paged by cursor, newest first: ``next`` and ``previous`` links, no ``count``."""

    serializer_class = s.TransitionLogSerializer
    filterset_class = AuditFilterSet
    filter_backends = [PortalFilterBackend]
    pagination_class = AuditLogPagination

    def get_queryset(self):
        return transition_logs_visible_to(self.request.user).order_by(*AuditLogPagination.ordering)


# --- dashboard and render jobs ------------------------------------------------------------------
class DashboardView(PortalViewMixin, APIView):
    """Figures over the agreements the caller may see."""

    @extend_schema(responses=s.DashboardSerializer, operation_id="dashboard_retrieve")
    def get(self, request):
        figures = dashboard_figures(request.user)
        return Response(s.DashboardSerializer(figures, context={"request": request}).data)


class KeysFirstPagination(PortalPagination):
    """Each page's keys in the list's order first, then their rows (``Paginator(keys_first=True)``)."""

    django_paginator_class = partial(Paginator, keys_first=True)


class ReviewQueueView(PortalViewMixin, ListAPIView):
    """The review queue (OUSD(A&S) reviewers and administrators): agreements in RAD or RFA review,
    those stalled or past a silence deadline first. Read from ``review_queue_for``, the selector
    the review queue page, the dashboard and the stalled-stage reminders share."""

    serializer_class = s.ReviewQueueRowSerializer
    pagination_class = KeysFirstPagination

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return RenderJob.objects.none()
        if not (user.is_reviewer or user.is_portal_admin):
            raise PermissionDenied("The review queue is for OUSD(A&S) reviewers.")
        return review_queue_for(user).with_list_relations()

    @extend_schema(operation_id="review_queue_list", summary="Agreements awaiting review, most urgent first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RenderJobViewSet(ReadOnlyViewSet):
    """PDF render jobs the caller requested."""

    serializer_class = s.RenderJobSerializer

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return RenderJob.objects.none()
        return (
            RenderJob.objects.filter(requested_by=user)
            .filter(Q(agreement__isnull=True) | Q(agreement__in=agreements_visible_to(user)))
            .select_related("agreement")
            .order_by("-created_at", "-pk")
        )
