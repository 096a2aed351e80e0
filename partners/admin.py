from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm

from icp_portal.security.events import EventKind, record
from icp_portal.security.lockout import account_is_locked, account_unlock
from icp_portal.security.models import CertificateIdentity

from .models import ApiToken, CoordinatingOffice, Organization, Partner, Role, User
from .services import api_token_revoke


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
    list_display = ("code", "name", "coordinates_by_default", "is_disclosure_office", "active")
    list_filter = ("coordinates_by_default", "is_disclosure_office", "active")
    search_fields = ("code", "name")


LIAISON_STAFF_WARNING = (
    "This user is a partner liaison: an official of a foreign government. Staff status opens the "
    "administration site, with U.S.-internal records, to them. Tick the box to confirm that this is "
    "intended."
)


class PortalUserChangeForm(UserChangeForm):
    """The admin's user form; giving a partner liaison staff status needs an explicit confirmation."""

    confirm_liaison_staff = forms.BooleanField(
        required=False,
        label="Yes, give this partner liaison staff status",
        help_text="Needed only when a partner liaison becomes staff or superuser.",
    )

    def clean(self):
        cleaned = super().clean()
        becomes_staff = cleaned.get("is_staff") or cleaned.get("is_superuser")
        was_liaison_staff = (
            self.instance.pk is not None
            and self.initial.get("role") == Role.LIAISON
            and (self.initial.get("is_staff") or self.initial.get("is_superuser"))
        )
        if (
            cleaned.get("role") == Role.LIAISON
            and becomes_staff
            and not was_liaison_staff
            and not cleaned.get("confirm_liaison_staff")
        ):
            self.add_error("confirm_liaison_staff", LIAISON_STAFF_WARNING)
        return cleaned


class CertificateIdentityInline(admin.TabularInline):
    model = CertificateIdentity
    extra = 0
    fields = ("subject", "created_at", "last_used_at")
    readonly_fields = ("created_at", "last_used_at")
    verbose_name = "CAC/PKI certificate subject"
    verbose_name_plural = "CAC/PKI certificate subjects"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = PortalUserChangeForm
    list_display = (
        "username",
        "email",
        "role",
        "organization",
        "coordinating_office",
        "partner",
        "is_active",
        "sign_in_locked",
    )
    list_filter = ("role", "organization", "coordinating_office", "partner", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "confirm_liaison_staff",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Portal role", {"fields": ("role", "organization", "coordinating_office", "partner")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Portal role", {"fields": ("role", "organization", "coordinating_office", "partner")}),
    )
    inlines = [CertificateIdentityInline]
    actions = ["unlock_accounts"]

    @admin.display(description="Locked out", boolean=True)
    def sign_in_locked(self, user) -> bool:
        return account_is_locked(user.get_username())

    @admin.action(description="Unlock the selected accounts (clear failed sign-ins)")
    def unlock_accounts(self, request, queryset):
        names = []
        for user in queryset:
            was_locked = account_is_locked(user.get_username())
            account_unlock(username=user.get_username())
            if was_locked:
                names.append(user.get_username())
                record(
                    EventKind.UNLOCK, request=request, target=user.get_username(), detail="unlocked by an administrator"
                )
        if names:
            self.message_user(request, f"Unlocked: {', '.join(names)}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of the selected accounts was locked.", messages.INFO)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_from",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "key_hash",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_from",
        "revoked_at",
        "revoked_reason",
    )
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False  # tokens are issued by their owner (profile page) or `manage.py api_token`

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.select_related("user").filter(revoked_at__isnull=True):
            api_token_revoke(token=token, user=token.user, request=request, reason="revoked by an administrator")
            count += 1
        self.message_user(request, f"{count} token{'s' if count != 1 else ''} revoked.", messages.SUCCESS)
