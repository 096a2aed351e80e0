"""Admin for the workflow. Lifecycle records (coordination rounds and positions, the audit trail,
the access log, reporting obligations, the outboxes, render jobs, heartbeats) are read-only: they change only
through the services."""

from django.contrib import admin

from agreements.admin import ReadOnlyMixin

from .models import (
    AccessLog,
    CoordinationPosition,
    CoordinationRound,
    EmailDigest,
    Notification,
    OutboundEmail,
    OutboxMessage,
    RenderJob,
    ReportingObligation,
    ServiceHeartbeat,
    TransitionLog,
)


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "agreement", "transition", "source", "target", "user", "request_id")
    list_filter = ("transition", "target")
    search_fields = ("agreement__reference", "comment", "request_id", "user__username")
    list_select_related = ("agreement", "user")
    date_hierarchy = "timestamp"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "user", "method", "path", "status_code", "agreement")
    list_filter = ("method", "status_code")
    search_fields = ("user__username", "path", "agreement__reference")
    list_select_related = ("user", "agreement")


class PositionInline(ReadOnlyMixin, admin.TabularInline):
    model = CoordinationPosition
    extra = 0
    readonly_fields = ("office", "due_at", "status", "comment", "responded_by", "responded_at")
    can_delete = False


@admin.register(CoordinationRound)
class CoordinationRoundAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "stage", "opened_at", "closed_at", "outcome")
    list_filter = ("stage", "outcome")
    search_fields = ("agreement__reference",)
    inlines = [PositionInline]


@admin.register(ReportingObligation)
class ReportingObligationAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "kind", "due_date", "completed_date")
    list_filter = ("kind", "completed_date")
    search_fields = ("agreement__reference",)
    list_select_related = ("agreement",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "task", "dispatched_at", "attempts", "last_error")
    list_filter = ("task",)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status",)
    search_fields = ("subject", "message_id", "dedupe_key")
    exclude = ("body_text", "body_html")  # digests carry marked content: shown in the portal, not here


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "last_seen")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "message", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "message")


@admin.register(EmailDigest)
class EmailDigestAdmin(ReadOnlyAdmin):
    list_display = ("date", "user", "item_count", "sent_at")


@admin.register(RenderJob)
class RenderJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "agreement", "status", "attempts", "requested_by")
    list_filter = ("kind", "status")
