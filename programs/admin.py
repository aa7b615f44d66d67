from django.contrib import admin

from programs.models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("short_name", "name", "kind", "level", "province")
    list_filter = ("kind", "level")
    search_fields = ("name", "short_name")
    list_select_related = ("province",)
