from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import User
from core.admin import NationalAdminMixin


@admin.register(User)
class UserAdmin(NationalAdminMixin, BaseUserAdmin):
    """National admins manage staff accounts and their scope, through ``accounts.services``.

    No one grants superuser, groups or model permissions here (roles and ``rules`` decide
    what a user may do), and no one edits their own role, scope or status.
    """

    list_display = ("username", "get_full_name", "role", "province", "regency", "agency", "district_office",
                    "is_active")
    list_filter = ("role", "is_active", "province")
    list_select_related = ("province", "regency", "agency")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("province", "regency", "agency")
    _scope = (_("Peran dan wilayah tugas"), {"fields": ("role", "province", "regency", "agency",
                                                                "district_office", "is_active")})
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Data pribadi"), {"fields": ("first_name", "last_name", "email")}),
        _scope,
        (_("Waktu"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "usable_password", "password1", "password2")}), _scope)
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["email"]  # only its owner changes it, confirmed by both addresses
        if obj is not None and obj.pk == request.user.pk:
            fields += ["role", "province", "regency", "agency", "district_office", "is_active"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        """Nobody sets another person's password (they would sign in as them): a forgotten one is
        reset by its owner from the link mailed to their own address."""
        raise PermissionDenied

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: budgets and steps keep who did them

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class CheckedForm(form):
            def _post_clean(self):
                super()._post_clean()
                try:
                    services.user_check(user=self.instance, actor=request.user)
                except ValidationError as exc:
                    self.add_error(None, exc)

        return CheckedForm

    def history_view(self, request, object_id, extra_context=None):
        """Scope changes are on the staff page, with who made each."""
        return redirect("accounts:user-detail", pk=object_id)

    def save_model(self, request, obj, form, change):
        services.user_save(user=obj, actor=request.user)
