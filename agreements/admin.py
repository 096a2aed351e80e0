"""Admin for agreements: searchable, filterable, with participants, contributions, loan items and
documents inline. The lifecycle state is read-only here: it moves only through the lifecycle."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import SSOI, Agreement, Contribution, DdlDecision, Document, LoanItem, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    autocomplete_fields = ("partner",)
    fields = ("partner", "role", "signatory_name", "signatory_title", "signature_date")
    readonly_fields = ("signature_date",)


class LoanItemInline(admin.TabularInline):
    model = LoanItem
    extra = 0


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = ("kind", "version", "title", "marking", "releasable_to_partners", "size", "uploaded_by", "uploaded_at")
    readonly_fields = ("version", "size", "uploaded_by", "uploaded_at")
    show_change_link = True


class SSOIInline(admin.StackedInline):
    model = SSOI
    extra = 0
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ("reference", "short_title", "kind", "state", "lead_organization", "authority", "expiration_date")
    list_filter = ("kind", "state", "authority", "lead_organization", "marking", "releasable_to_partners")
    search_fields = ("reference", "title", "short_title", "participants__partner__name", "participants__partner__code")
    readonly_fields = (
        "reference",
        "state",
        "state_changed_at",
        "entry_into_force_date",
        "master_lapsed_at",
        "created_at",
        "updated_at",
    )
    autocomplete_fields = ("parent", "action_officer")
    list_select_related = ("lead_organization",)
    date_hierarchy = "created_at"
    inlines = [ParticipantInline, SSOIInline, LoanItemInline, DocumentInline]


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0


@admin.register(Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ("agreement", "partner", "role", "signature_date")
    list_filter = ("role", "partner")
    search_fields = ("agreement__reference", "partner__name", "partner__code")
    list_select_related = ("agreement", "partner")
    autocomplete_fields = ("agreement", "partner")
    inlines = [ContributionInline]


@admin.register(Contribution)
class ContributionAdmin(SimpleHistoryAdmin):
    list_display = ("agreement", "participant", "kind", "description", "amount_usd", "fiscal_year")
    list_filter = ("kind", "fiscal_year")
    search_fields = ("description", "agreement__reference", "participant__partner__name")
    list_select_related = ("agreement", "participant__partner")


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ("agreement", "kind", "version", "title", "marking", "releasable_to_partners", "uploaded_at")
    list_filter = ("kind", "marking", "releasable_to_partners")
    search_fields = ("agreement__reference", "title", "original_name", "sha256")
    readonly_fields = ("sha256", "size", "version", "uploaded_by", "uploaded_at")
    list_select_related = ("agreement",)


@admin.register(SSOI)
class SSOIAdmin(SimpleHistoryAdmin):
    list_display = ("agreement", "updated_at")
    search_fields = ("agreement__reference", "agreement__title")


@admin.register(DdlDecision)
class DdlDecisionAdmin(SimpleHistoryAdmin):
    """Read only: a DDL decision is recorded by a disclosure office through ``ddl_decide`` (the
    agreement's Documents tab or the API), never edited here."""

    list_display = ("agreement", "status", "deciding_office", "decision_date", "decided_by")
    list_filter = ("status", "deciding_office")
    search_fields = ("agreement__reference",)
    list_select_related = ("agreement", "deciding_office", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LoanItem)
class LoanItemAdmin(SimpleHistoryAdmin):
    list_display = ("agreement", "item", "quantity", "unit_value_usd", "consumable", "return_by")
    search_fields = ("agreement__reference", "item")
