"""The realization report's form: which province (the national admin chooses; everyone else has
their own), optionally one OPD or one program, the fiscal year and the period."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region
from programs.selectors import agencies_visible_to, programs_visible_to
from reports.statements import PERIOD_CHOICES


def _scope_fields(fields, user) -> None:
    """The province (fixed to one's own, except for the national admin) and the OPD in one's scope;
    an OPD officer's own OPD first."""
    provinces = Region.objects.provinces().order_by("code")
    if not user.is_national_admin:
        provinces = provinces.filter(pk=user.province_id)
        fields["provinsi"].initial = user.province.code if user.province_id else None
        fields["provinsi"].disabled = True
    fields["provinsi"].queryset = provinces
    fields["provinsi"].label_from_instance = lambda r: f"{r.code} {r.name}"
    fields["opd"].queryset = agencies_visible_to(user).order_by("province__code", "short_name")
    fields["opd"].label_from_instance = lambda a: a.short_name
    if user.is_provincial_officer:
        fields["opd"].initial = user.agency_id


class _ScopedForm(forms.Form):
    def clean(self):
        data = super().clean()
        agency, province = data.get("opd"), data.get("provinsi")
        if agency and province and agency.province_id not in (None, province.pk):
            self.add_error("opd", _("OPD ini bukan dari provinsi yang dipilih."))
        return data


class RealizationReportForm(_ScopedForm):
    provinsi = forms.ModelChoiceField(label=_("Provinsi"), queryset=Region.objects.none(), to_field_name="code")
    opd = forms.ModelChoiceField(label=_("OPD"), queryset=None, required=False,
                                 help_text=_("Kosongkan untuk seluruh OPD provinsi."))
    program = forms.ModelChoiceField(label=_("Program"), queryset=None, required=False,
                                     help_text=_("Kosongkan untuk semua program (dari OPD yang dipilih)."))
    tahun = forms.TypedChoiceField(label=_("Tahun anggaran"), coerce=int, choices=())
    periode = forms.ChoiceField(label=_("Periode"), choices=PERIOD_CHOICES, initial="tahun")

    def __init__(self, *args, user, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _scope_fields(self.fields, user)
        self.fields["program"].queryset = programs_visible_to(user).order_by("-fiscal_year", "name")
        self.fields["program"].label_from_instance = lambda p: f"{p.name} ({p.fiscal_year})"
        self.fields["tahun"].choices = [(y, y) for y in years]
        if years:
            self.fields["tahun"].initial = years[0]

    def params(self) -> dict:
        data = self.cleaned_data
        out = {"provinsi": data["provinsi"].code, "tahun": data["tahun"], "periode": data["periode"]}
        if data.get("program"):
            out["program"] = data["program"].pk
        elif data.get("opd"):
            out["opd"] = data["opd"].pk
        return out


class SubscriptionForm(_ScopedForm):
    """The monthly report by e-mail: province (the national admin chooses), optionally one OPD,
    and the day of the month it is sent."""

    provinsi = forms.ModelChoiceField(label=_("Provinsi"), queryset=Region.objects.none(), to_field_name="code")
    opd = forms.ModelChoiceField(label=_("OPD"), queryset=None, required=False,
                                 help_text=_("Kosongkan untuk seluruh OPD provinsi."))
    tanggal = forms.TypedChoiceField(label=_("Dikirim setiap tanggal"), coerce=int, initial=5,
                                     choices=[(d, d) for d in range(1, 29)],
                                     help_text=_("Laporan bulan sebelumnya dikirim pagi hari pada tanggal ini."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, prefix="langganan", **kwargs)
        _scope_fields(self.fields, user)
