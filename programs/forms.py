"""Staff forms for budgets. Choices are limited to what the user may touch, so a forged id
for another province is refused as an invalid choice before any service runs."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import PublishesFields, RupiahField, SubmissionForm, VersionedForm
from core.models import Region
from core.params import StrictIntegerField, StrictYearField
from programs.models import FundingSource, Program
from programs.selectors import agencies_visible_to, ceilings_visible_to, programs_visible_to

YEAR_FIELD = {"min_value": 2000, "max_value": 2100}


class CeilingCreateForm(PublishesFields, SubmissionForm):
    published = ("fiscal_year", "funding_source", "amount")
    fiscal_year = StrictYearField(label=_("Tahun anggaran"), **YEAR_FIELD)
    funding_source = forms.ModelChoiceField(label=_("Sumber dana"), queryset=FundingSource.objects.all())
    amount = RupiahField(label=_("Pagu (Rp)"), help_text=_("Rupiah bulat, mis. 20.000.000.000."))
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].initial = timezone.localdate().year


class CeilingEditForm(PublishesFields, VersionedForm):
    published = ("amount",)
    amount = RupiahField(label=_("Pagu (Rp)"))
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AllocationCreateForm(PublishesFields, SubmissionForm):
    published = ("program", "regency", "amount")
    ceiling = forms.ModelChoiceField(label=_("Pagu"), queryset=None)
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)
    regency = forms.ModelChoiceField(
        label=_("Kabupaten/kota"),
        queryset=None,
        required=False,
        empty_label=_("— seluruh provinsi —"),
        help_text=_("Kosongkan bila alokasi untuk seluruh provinsi."),
    )
    amount = RupiahField(label=_("Jumlah alokasi (Rp)"))
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ceiling"].queryset = ceilings_visible_to(user).filter(province_id=user.province_id)
        self.fields["program"].queryset = (
            programs_visible_to(user).exclude(status=Program.Status.CLOSED).select_related("agency")
        )
        self.fields["program"].label_from_instance = lambda p: f"{p.agency} · {p.name} ({p.fiscal_year})"
        self.fields["regency"].queryset = Region.objects.regencies().filter(parent_id=user.province_id)


class RevisionForm(PublishesFields, VersionedForm):
    published = ("new_amount", "reason")
    new_amount = RupiahField(label=_("Jumlah baru (Rp)"))
    reason = forms.CharField(
        label=_("Alasan revisi"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Wajib; dipublikasikan di jejak anggaran, mis. “refocusing anggaran 2020 untuk penanganan "
                    "Covid-19”. Jangan tulis nama orang."),
    )


class RealizationForm(PublishesFields, SubmissionForm):
    published = ("date", "amount", "description", "document_number")
    date = forms.DateField(label=_("Tanggal"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = RupiahField(label=_("Jumlah (Rp)"), min_value=1)
    description = forms.CharField(
        label=_("Uraian"), max_length=300,
        help_text=_("Dipublikasikan di rincian realisasi, mis. “Pengadaan mesin jahit tahap I”; bukan nama orang."),
    )
    document_number = forms.CharField(
        label=_("Nomor SP2D / berita acara"), max_length=100, required=False,
        help_text=_("Surat perintah pencairan dana, atau berita acara serah terima untuk barang; "
                    "dipublikasikan di rincian realisasi."),
    )

    def __init__(self, *args, fiscal_year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        if fiscal_year is not None:
            # Inside the allocation's fiscal year and not in the future, as the service requires.
            first, last = dt.date(fiscal_year, 1, 1), min(today, dt.date(fiscal_year, 12, 31))
            self.fields["date"].initial = last if last >= first else first
            self.fields["date"].widget.attrs.update({"min": first.isoformat(), "max": last.isoformat()})


class ReversalForm(PublishesFields, SubmissionForm):
    published = ("reason",)
    reason = forms.CharField(label=_("Alasan koreksi"), max_length=250,
                             help_text=_("Dipublikasikan apa adanya di rincian realisasi dan jejak anggaran, "
                                         "mis. “salah input: nominal seharusnya Rp18 juta”. Jangan tulis nama "
                                         "orang atau data pribadi."))


class ProgramForm(PublishesFields, forms.ModelForm):
    published = ("agency", "fiscal_year", "name", "kind", "description", "criteria_text", "target_count",
                 "target_unit", "status")
    criteria_text = forms.CharField(
        label=_("Kriteria kelayakan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Satu kriteria per baris, mis. “Sangat terdampak: omzet turun”."),
    )

    class Meta:
        model = Program
        fields = ["agency", "fiscal_year", "name", "kind", "description", "target_count", "target_unit", "status"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"fiscal_year": StrictYearField, "target_count": StrictIntegerField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # An OPD officer writes programs of their own OPD only.
        self.fields["agency"].queryset = agencies_visible_to(user).filter(pk=user.agency_id)
        self.fields["agency"].initial = user.agency_id
        self.fields["fiscal_year"].widget.attrs.update(min=2000, max=2100)
        if self.instance.pk:
            self.fields["criteria_text"].initial = "\n".join(self.instance.criteria)

    def clean_fiscal_year(self):
        year = self.cleaned_data["fiscal_year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("Tahun anggaran harus antara 2000 dan 2100."))
        return year

    def clean(self):
        cleaned = super().clean()
        self.instance.criteria = [line for line in cleaned.get("criteria_text", "").splitlines() if line.strip()]
        return cleaned

