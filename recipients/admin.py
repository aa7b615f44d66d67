"""Read-only admin for national admins, scoped like every other view. Groups, members and
applications are written only through the staff pages and their services."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from recipients import selectors
from recipients.models import Application, RecipientGroup


@admin.register(RecipientGroup)
class RecipientGroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "regency", "sector", "members_count")
    list_filter = ("sector", "kind")
    search_fields = ("name",)
    ordering = ("name", "id")  # the recipients_group_name index; the model's regency-code order joins core_region
    # Personal data (leader NIK, phone, members) is left out of the admin on purpose.
    fields = ("name", "kind", "regency", "kecamatan", "desa", "sector", "nib", "members_count", "created_at")

    def get_queryset(self, request):
        return selectors.groups_visible_to(request.user)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("group", "program", "state", "sk_number", "has_duplicate", "updated_at")
    list_filter = ("state", "has_duplicate")
    search_fields = ("group__name", "program__name")

    def get_queryset(self, request):
        return selectors.applications_visible_to(request.user)
