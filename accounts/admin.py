from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "province", "regency", "agency", "is_active")
    list_filter = ("role", "is_active", "province")
    list_select_related = ("province", "regency", "agency")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("province", "regency", "agency")
    _scope = (_("Peran dan wilayah tugas"), {"fields": ("role", "province", "regency", "agency")})
    fieldsets = (*BaseUserAdmin.fieldsets, _scope)
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, _scope)
