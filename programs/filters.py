"""django-filter sets for the staff lists. Choices come from the user's scope."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Region
from core.params import YearFilter
from programs.models import Allocation, BudgetCeiling, FundingSource, Program, Realization
from programs.selectors import agencies_visible_to


def _provinces(request):
    user = request.user if request else None
    if user is None or not user.is_authenticated:
        return Region.objects.none()
    qs = Region.objects.provinces()
    return qs if user.is_national_admin else qs.filter(pk=user.province_id)


def _agencies(request):
    return agencies_visible_to(request.user if request else None)


class _YearFilterSet(django_filters.FilterSet):
    fiscal_year = YearFilter(label=_("Tahun"))
    province = django_filters.ModelChoiceFilter(label=_("Provinsi"), queryset=_provinces, empty_label=_("Semua"))
    funding_source = django_filters.ModelChoiceFilter(
        label=_("Sumber dana"), queryset=FundingSource.objects.all(), empty_label=_("Semua")
    )


class CeilingFilter(_YearFilterSet):
    class Meta:
        model = BudgetCeiling
        fields = ["fiscal_year", "province", "funding_source"]


class AllocationFilter(_YearFilterSet):
    fiscal_year = YearFilter(field_name="ceiling__fiscal_year", label=_("Tahun"))
    province = django_filters.ModelChoiceFilter(
        field_name="ceiling__province", label=_("Provinsi"), queryset=_provinces, empty_label=_("Semua")
    )
    funding_source = django_filters.ModelChoiceFilter(
        field_name="ceiling__funding_source",
        label=_("Sumber dana"),
        queryset=FundingSource.objects.all(),
        empty_label=_("Semua"),
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="program__agency", label=_("OPD"), queryset=_agencies, empty_label=_("Semua")
    )
    kind = django_filters.ChoiceFilter(
        field_name="program__kind", label=_("Jenis bantuan"), choices=Program.Kind.choices, empty_label=_("Semua")
    )
    q = django_filters.CharFilter(method="search", label=_("Cari"))

    class Meta:
        model = Allocation
        fields = ["fiscal_year", "province", "funding_source", "agency", "kind"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(program__name__icontains=value) | Q(program__agency__name__icontains=value)
            | Q(program__agency__short_name__icontains=value) | Q(note__icontains=value)
        )


class RealizationFilter(django_filters.FilterSet):
    fiscal_year = YearFilter(field_name="allocation__ceiling__fiscal_year", label=_("Tahun"))
    province = django_filters.ModelChoiceFilter(
        field_name="allocation__ceiling__province", label=_("Provinsi"), queryset=_provinces, empty_label=_("Semua")
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="allocation__program__agency", label=_("OPD"), queryset=_agencies, empty_label=_("Semua")
    )
    funding_source = django_filters.ModelChoiceFilter(
        field_name="allocation__ceiling__funding_source",
        label=_("Sumber dana"),
        queryset=FundingSource.objects.all(),
        empty_label=_("Semua"),
    )
    kind = django_filters.ChoiceFilter(
        field_name="allocation__program__kind",
        label=_("Jenis bantuan"),
        choices=Program.Kind.choices,
        empty_label=_("Semua"),
    )
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("Dari tanggal"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Sampai tanggal"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = django_filters.CharFilter(method="search", label=_("Cari"))

    class Meta:
        model = Realization
        fields = ["fiscal_year", "province", "agency", "funding_source", "kind"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(description__icontains=value) | Q(allocation__program__name__icontains=value)
            | Q(allocation__program__agency__short_name__icontains=value)
        )


class ProgramFilter(django_filters.FilterSet):
    fiscal_year = YearFilter(label=_("Tahun"))
    agency = django_filters.ModelChoiceFilter(label=_("OPD"), queryset=_agencies, empty_label=_("Semua"))
    kind = django_filters.ChoiceFilter(label=_("Jenis bantuan"), choices=Program.Kind.choices, empty_label=_("Semua"))
    q = django_filters.CharFilter(method="search", label=_("Cari"))

    class Meta:
        model = Program
        fields = ["fiscal_year", "agency", "kind"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(agency__name__icontains=value))


