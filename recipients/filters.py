import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.selectors import programs_visible_to
from recipients.models import Application, RecipientGroup, Sector, State
from recipients.selectors import regencies_visible_to


def _regencies(request):
    return regencies_visible_to(request.user if request else None)


def _programs(request):
    return programs_visible_to(request.user if request else None)


class GroupFilter(django_filters.FilterSet):
    regency = django_filters.ModelChoiceFilter(label=_("Kabupaten/kota"), queryset=_regencies, empty_label=_("Semua"))
    sector = django_filters.ChoiceFilter(label=_("Sektor"), choices=Sector.choices, empty_label=_("Semua"))
    q = django_filters.CharFilter(method="search", label=_("Cari nama/ketua"))

    class Meta:
        model = RecipientGroup
        fields = ["regency", "sector"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(leader_name__icontains=value))


class ApplicationFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(label=_("Program"), queryset=_programs, empty_label=_("Semua"))
    state = django_filters.ChoiceFilter(label=_("Tahap"), choices=State.choices, empty_label=_("Semua"))
    sector = django_filters.ChoiceFilter(field_name="group__sector", label=_("Sektor"), choices=Sector.choices,
                                         empty_label=_("Semua"))
    regency = django_filters.ModelChoiceFilter(field_name="group__regency", label=_("Kabupaten/kota"),
                                               queryset=_regencies, empty_label=_("Semua"))
    q = django_filters.CharFilter(method="search", label=_("Cari"))

    class Meta:
        model = Application
        fields = ["program", "state", "sector", "regency"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(group__name__icontains=value) | Q(program__name__icontains=value))
