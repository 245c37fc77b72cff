"""Django admin for staff. It is a read/inspect tool: state changes go through the site's staff
pages (which call actions), so verification fields are read-only here."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from marketplace.models import AuditEntry, Invitation, Membership, Organisation, SMEProfile, User, normalise_email


class _CaseInsensitiveEmail:
    """Addresses are stored in lower case and unique regardless of case, as at sign-up."""

    def clean_email(self):
        email = normalise_email(self.cleaned_data.get("email"))
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


class UserCreationAdminForm(_CaseInsensitiveEmail, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["email", "full_name"]
        field_classes: dict = {}


class UserChangeAdminForm(_CaseInsensitiveEmail, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes: dict = {}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "email_verified", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "email_verified"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "language", "email_verified"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "is_demonstration", "verification_status", "province", "created_at"]
    list_filter = ["kind", "verification_status", "is_demonstration", "province"]
    search_fields = ["name", "slug", "credit_code", "registration_number"]
    # Identity and verification change only through actions (a renamed verified organisation is re-verified).
    readonly_fields = ["verification_status", "verification_note", "verified_at", "verified_by",
                       "reverification_requested_at", "reverification_changes", "is_demonstration"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["name", "kind", "credit_code", "registration_number", *fields] if obj is not None else fields


@admin.register(SMEProfile)
class SMEProfileAdmin(admin.ModelAdmin):
    list_display = ["organisation", "industry", "employees", "annual_revenue_cny", "total_assets_cny", "size_class"]
    list_filter = ["size_class", "industry"]
    readonly_fields = ["size_class"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at", "revoked_at"]
    exclude = ["token"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "organisation", "target_repr"]
    list_filter = ["action"]
    search_fields = ["action", "target_repr", "actor__email", "organisation__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
