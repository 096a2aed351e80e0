from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, CoordinatingOffice, Organization, Partner, User


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "is_nato_member",
        "is_nato_body",
        "is_mnna",
        "is_eu_body",
        "is_other_friendly",
        "active",
    )
    list_filter = ("kind", "is_nato_member", "is_nato_body", "is_mnna", "is_eu_body", "is_other_friendly", "active")
    search_fields = ("code", "name")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(CoordinatingOffice)
class CoordinatingOfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "coordinates_by_default", "active")
    list_filter = ("coordinates_by_default", "active")
    search_fields = ("code", "name")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "role", "organization", "coordinating_office", "partner", "is_active")
    list_filter = ("role", "organization", "coordinating_office", "partner", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Portal role", {"fields": ("role", "organization", "coordinating_office", "partner")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Portal role", {"fields": ("role", "organization", "coordinating_office", "partner")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
