"""The security log for administrators (read-only, filterable, exportable as CSV) and the CAC/PKI
certificate subjects mapped to users."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from agreements.exports import _safe_cell

from .models import CertificateIdentity, SecurityEvent

EXPORT_COLUMNS = [
    ("time_utc", lambda e: e.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ("event", lambda e: e.kind),
    ("outcome", lambda e: e.outcome),
    ("user", lambda e: e.username),
    ("client_address", lambda e: e.client_address or ""),
    ("request_id", lambda e: e.request_id),
    ("method", lambda e: e.method),
    ("path", lambda e: e.path),
    ("target", lambda e: e.target),
    ("detail", lambda e: e.detail),
]


class _Echo:
    def write(self, value):
        return value


def security_events_csv(queryset) -> StreamingHttpResponse:
    """The events as CSV, streamed (the log grows without bound), cells safe for spreadsheets."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow([name for name, _ in EXPORT_COLUMNS])
        for event in queryset.iterator(chunk_size=2000):
            yield writer.writerow([_safe_cell(get(event)) for _, get in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="icp-portal-security-log-{stamp}.csv"'
    return response


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the portal alone."""

    list_display = ("at", "kind", "outcome", "username", "client_address", "method", "path", "target", "request_id")
    list_filter = ("kind", "outcome")
    search_fields = ("username", "client_address", "request_id", "path", "target")
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False
    actions = ["export_csv"]
    change_list_template = "admin/security/securityevent/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="security_securityevent_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """Every event the current filters and search select, as CSV."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return security_events_csv(changelist.get_queryset(request).order_by("at", "pk"))

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return security_events_csv(queryset.order_by("at", "pk"))


@admin.register(CertificateIdentity)
class CertificateIdentityAdmin(admin.ModelAdmin):
    list_display = ("subject", "user", "created_at", "last_used_at")
    search_fields = ("subject", "user__username")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "last_used_at")
