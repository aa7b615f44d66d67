"""Admin for national admins: reference data editable (through the services), money read-only.

Budgets are written only on the staff pages by provincial officers; here they can be read,
scoped by the same ``*_visible_to(user)`` selectors as every other view.
"""

from django.contrib import admin

from core.admin import NationalAdminMixin, ReadOnlyAdmin
from programs import selectors, services
from programs.models import (
    Agency,
    Allocation,
    AllocationRevision,
    BudgetCeiling,
    FundingSource,
    Indicator,
    Program,
    Realization,
    SourceArticle,
)


class ReferenceAdmin(NationalAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # referenced by budgets; PROTECT would refuse anyway


@admin.register(SourceArticle)
class SourceArticleAdmin(ReferenceAdmin):
    list_display = ("key", "publisher", "title", "published_on")


@admin.register(FundingSource)
class FundingSourceAdmin(ReferenceAdmin):
    list_display = ("code", "name", "level")


@admin.register(Agency)
class AgencyAdmin(ReferenceAdmin):
    list_display = ("short_name", "name", "kind", "level", "province", "is_illustrative")
    list_filter = ("kind", "level")
    search_fields = ("name", "short_name")
    list_select_related = ("province",)
    autocomplete_fields = ("province", "regency")

    def get_queryset(self, request):
        return selectors.agencies_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            obj.save()
        else:
            services.agency_create(
                name=obj.name, short_name=obj.short_name, kind=obj.kind, level=obj.level, province=obj.province,
                regency=obj.regency, source=obj.source, is_illustrative=obj.is_illustrative,
            )


@admin.register(Program)
class ProgramAdmin(ReferenceAdmin):
    list_display = ("name", "agency", "fiscal_year", "kind", "target_count", "status")
    list_filter = ("fiscal_year", "kind", "status")
    search_fields = ("name", "agency__name")
    list_select_related = ("agency",)

    def get_queryset(self, request):
        return selectors.programs_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        # National admins act as the system for programs of national bodies.
        services.program_save(program=obj, actor=None)


@admin.register(BudgetCeiling)
class BudgetCeilingAdmin(ReadOnlyAdmin):
    list_display = ("province", "fiscal_year", "funding_source", "amount", "allocated_total")
    list_filter = ("fiscal_year", "funding_source")
    search_fields = ("province__name",)

    def get_queryset(self, request):
        return selectors.ceilings_visible_to(request.user)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("program", "ceiling", "regency", "amount", "realized_total")
    list_filter = ("ceiling__fiscal_year", "ceiling__funding_source")
    search_fields = ("program__name",)

    def get_queryset(self, request):
        return selectors.allocations_visible_to(request.user)


@admin.register(AllocationRevision)
class AllocationRevisionAdmin(ReadOnlyAdmin):
    list_display = ("allocation", "old_amount", "new_amount", "reason", "actor", "created_at")
    list_select_related = ("allocation__program", "actor")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(allocation__in=selectors.allocations_visible_to(request.user))


@admin.register(Realization)
class RealizationAdmin(ReadOnlyAdmin):
    list_display = ("date", "allocation", "amount", "description")
    list_filter = ("date",)
    # str(allocation) names the program and the regency: loaded with the page, not once per row.
    # (The changelist ignores list_select_related for a queryset that already selects related
    # rows, as the selector's does, so the queryset adds them itself.)
    list_select_related = ("allocation__program", "allocation__regency")

    def get_queryset(self, request):
        return selectors.realizations_visible_to(request.user).select_related(*self.list_select_related)


@admin.register(Indicator)
class IndicatorAdmin(ReferenceAdmin):
    list_display = ("province", "kind", "value", "as_of", "source")
    list_select_related = ("province", "source")
