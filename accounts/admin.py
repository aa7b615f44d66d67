from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import NationalAdminMixin


@admin.register(User)
class UserAdmin(NationalAdminMixin, BaseUserAdmin):
    """National admins manage staff accounts and their scope."""

    list_display = ("username", "get_full_name", "role", "province", "regency", "agency", "is_active")
    list_filter = ("role", "is_active", "province")
    list_select_related = ("province", "regency", "agency")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("province", "regency", "agency")
    _scope = (_("Peran dan wilayah tugas"), {"fields": ("role", "province", "regency", "agency")})
    fieldsets = (*BaseUserAdmin.fieldsets, _scope)
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, _scope)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)
