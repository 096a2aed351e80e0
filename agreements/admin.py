"""Admin for agreements: searchable and filterable, with participants, contributions, loan items
and documents inline, all read-only. Every change to a lifecycle record goes through the services
(the browser or the API), where the rules live; the admin can neither add, edit, revert nor
delete one, so no rule can be skipped here."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .models import SSOI, Agreement, Contribution, DdlDecision, Document, LoanItem, Participant

READ_ONLY_NOTE = "Lifecycle records are read-only in the admin: change them in the portal or through the API."


class ReadOnlyMixin:
    """No add, change or delete permission, whatever the user's permissions say."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        raise PermissionDenied(READ_ONLY_NOTE)

    def delete_model(self, request, obj):
        raise PermissionDenied(READ_ONLY_NOTE)

    def delete_queryset(self, request, queryset):
        raise PermissionDenied(READ_ONLY_NOTE)


class LifecycleHistoryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Field history stays readable; reverting to an old version would be a write, so it is refused."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(READ_ONLY_NOTE)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class ParticipantInline(ReadOnlyTabularInline):
    model = Participant
    fields = ("partner", "role", "signatory_name", "signatory_title", "signature_date")


class LoanItemInline(ReadOnlyTabularInline):
    model = LoanItem


class DocumentInline(ReadOnlyTabularInline):
    model = Document
    fields = ("kind", "version", "title", "marking", "releasable_to_partners", "size", "uploaded_by", "uploaded_at")
    show_change_link = True


class SSOIInline(ReadOnlyMixin, admin.StackedInline):
    model = SSOI
    extra = 0
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(LifecycleHistoryAdmin):
    list_display = ("reference", "short_title", "kind", "state", "lead_organization", "authority", "expiration_date")
    list_filter = ("kind", "state", "authority", "lead_organization", "marking", "releasable_to_partners")
    search_fields = ("reference", "title", "short_title", "participants__partner__name", "participants__partner__code")
    list_select_related = ("lead_organization",)
    date_hierarchy = "created_at"
    inlines = [ParticipantInline, SSOIInline, LoanItemInline, DocumentInline]


class ContributionInline(ReadOnlyTabularInline):
    model = Contribution


@admin.register(Participant)
class ParticipantAdmin(LifecycleHistoryAdmin):
    list_display = ("agreement", "partner", "role", "signature_date")
    list_filter = ("role", "partner")
    search_fields = ("agreement__reference", "partner__name", "partner__code")
    list_select_related = ("agreement", "partner")
    inlines = [ContributionInline]


@admin.register(Contribution)
class ContributionAdmin(LifecycleHistoryAdmin):
    list_display = ("agreement", "participant", "kind", "description", "amount_usd", "fiscal_year")
    list_filter = ("kind", "fiscal_year")
    search_fields = ("description", "agreement__reference", "participant__partner__name")
    list_select_related = ("agreement", "participant__partner")


@admin.register(Document)
class DocumentAdmin(LifecycleHistoryAdmin):
    list_display = ("agreement", "kind", "version", "title", "marking", "releasable_to_partners", "uploaded_at")
    list_filter = ("kind", "marking", "releasable_to_partners")
    search_fields = ("agreement__reference", "title", "original_name", "sha256")
    list_select_related = ("agreement",)


@admin.register(SSOI)
class SSOIAdmin(LifecycleHistoryAdmin):
    list_display = ("agreement", "updated_at")
    search_fields = ("agreement__reference", "agreement__title")


@admin.register(DdlDecision)
class DdlDecisionAdmin(LifecycleHistoryAdmin):
    """Read only: a DDL decision is recorded by a disclosure office through ``ddl_decide`` (the
    agreement's Documents tab or the API), never edited here."""

    list_display = ("agreement", "status", "deciding_office", "decision_date", "decided_by")
    list_filter = ("status", "deciding_office")
    search_fields = ("agreement__reference",)
    list_select_related = ("agreement", "deciding_office", "decided_by")


@admin.register(LoanItem)
class LoanItemAdmin(LifecycleHistoryAdmin):
    list_display = ("agreement", "item", "quantity", "unit_value_usd", "consumable", "return_by")
    search_fields = ("agreement__reference", "item")
