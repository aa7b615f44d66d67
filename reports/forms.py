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


# --- Red-flag cases ----------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class FlagDecisionForm(forms.Form):
    to_state = forms.ChoiceField(label=_("Keputusan"), widget=forms.RadioSelect)
    text = forms.CharField(label=_("Alasan / catatan"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Wajib untuk merujuk, mengesampingkan, dan membuka kembali."))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_state"].choices = list(choices)


class FlagAnswerForm(forms.Form):
    text = forms.CharField(label=_("Penjelasan OPD"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    documents = MultipleFileField(label=_("Dokumen pendukung (PDF/JPEG/PNG)"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class FlagFilterForm(forms.Form):
    indikator = forms.ChoiceField(label=_("Indikator"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    tahun = forms.IntegerField(label=_("Tahun"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, indicators=(), states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indikator"].choices = [("", _("Semua"))] + [(i.code, f"{i.code} · {i.title}") for i in indicators]
        self.fields["status"].choices = [("", _("Terbuka dan diperiksa")), ("semua", _("Semua"))] + list(states)
