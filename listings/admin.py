"""Django admin for staff: an inspection tool. Listing states and patents change only through
``listings.actions`` (the owner pages and commands), so nearly everything here is read-only; staff may
correct a listing's title and description (moderation), which goes through ``update_listing``."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from listings import actions
from listings.models import ImportJob, Listing, OrganisationTerms, Patent, PatentClassification
from marketplace.actions import ActionError


class ReadOnlyMixin:
    """Everything is shown, nothing is added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClassificationInline(ReadOnlyMixin, admin.TabularInline):
    model = PatentClassification
    extra = 0
    fields = ["code", "section", "ipc_class", "subclass", "main_group", "position"]
    readonly_fields = fields


@admin.register(Patent)
class PatentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["display_number", "title", "owner", "legal_status", "expiry_date", "language", "created_at"]
    list_filter = ["legal_status", "office", "language"]
    search_fields = ["number", "title", "applicants", "owner__name"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [ClassificationInline]

    @admin.display(description=_("number"), ordering="number")
    def display_number(self, patent):
        return patent.display_number


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "state", "fee_model", "open_licence", "published_at", "view_count"]
    list_filter = ["state", "fee_model", "open_licence", "idle_declared", "owner__kind"]
    search_fields = ["title", "description", "owner__name", "patents__number"]
    list_select_related = ["owner"]
    date_hierarchy = "published_at"
    # Moderation only: the title and description; everything else (state above all) is read-only.
    fields = [
        "title", "description", "owner", "state", "published_at", "state_changed_at", "patents",
        "offers_exclusive", "offers_sole", "offers_non_exclusive", "offers_assignment", "fee_model", "currency",
        "lump_sum_minor", "entry_fee_minor", "royalty_rate_bp", "upfront_price_minor", "territory", "term_months",
        "field_of_use", "open_licence", "idle_declared", "donation_quota", "view_count", "import_patent",
        "created_by", "created_at", "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in ("title", "description")]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in ("title", "description")}
        if not changed:
            return
        try:
            actions.update_listing(Listing.objects.get(pk=obj.pk), actor=request.user, operator=True, **changed)
        except ActionError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # patents are read-only here


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["original_name", "owner", "status", "mode", "publish", "total_rows", "created_count",
                    "updated_count", "published_count", "error_count", "created_at"]
    list_filter = ["status", "mode", "publish"]
    search_fields = ["original_name", "owner__name"]
    list_select_related = ["owner"]


@admin.register(OrganisationTerms)
class OrganisationTermsAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["organisation", "fee_model", "currency", "open_licence", "territory", "term_months"]
    list_filter = ["fee_model", "open_licence"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation"]
