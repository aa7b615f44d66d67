from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PublishesFields, RupiahField
from core.models import Region
from core.params import StrictIntegerField
from programs.models import Allocation, Program
from programs.selectors import programs_visible_to
from recipients import policy
from recipients.imports import ROLE_WORDS
from recipients.models import RecipientGroup, State
from recipients.services import GroupData, MemberData, nib_problem, nik_problem, phone_problem


class GroupForm(PublishesFields, forms.ModelForm):
    members_text = forms.CharField(
        label=_("Anggota"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Satu anggota per baris: nama; NIK; peran (ketua/sekretaris/bendahara/anggota)."),
    )

    class Meta:
        model = RecipientGroup
        fields = ["name", "kind", "regency", "kecamatan", "desa", "sector", "leader_name", "leader_nik",
                  "contact_phone", "nib"]

    version = StrictIntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        # An IKM group's name and sector are published once it is approved; a KPM family is never named.
        kind = kwargs["instance"].kind if kwargs.get("instance") else user.district_office
        self.published = ("name", "sector") if kind == RecipientGroup.Kind.IKM else ()
        super().__init__(*args, **kwargs)
        # NIKs as this user may see them (``policy.may_see_nik``): an officer correcting an approved
        # group sees and sends them masked, and a masked NIK sent back means "unchanged".
        self.masked = bool(self.instance.pk) and not policy.may_see_nik(user, self.instance)
        if self.instance.pk:
            # A correction: the group stays where it is and what it is; members are edited as text.
            del self.fields["regency"], self.fields["kind"]
            self.fields["version"].initial = self.instance.version
            words = {role: word for word, role in ROLE_WORDS.items() if word}
            self._members = list(self.instance.members.all())
            self.fields["members_text"].initial = "\n".join(
                f"{m.name}; {self._shown(m.nik)}; {words[m.role]}" for m in self._members)
            self.initial["leader_nik"] = self._shown(self.instance.leader_nik)
            if self.masked:
                self.fields["leader_nik"].help_text = _("NIK disamarkan; biarkan untuk tidak mengubahnya.")
                self.fields["members_text"].help_text = _(
                    "Satu anggota per baris: nama; NIK; peran. NIK yang disamarkan tetap seperti semula; "
                    "anggota baru ditulis dengan NIK lengkap.")
            return
        regencies = Region.objects.regencies()
        self.fields["regency"].queryset = (
            regencies.filter(pk=user.regency_id) if user.is_district_staff else regencies.none()
        )
        self.fields["regency"].initial = user.regency_id
        # A district office registers the kind of recipient it verifies.
        offices = {user.district_office} if user.is_district_staff else set()
        self.fields["kind"].choices = [(v, label) for v, label in RecipientGroup.Kind.choices if v in offices]
        self.fields["kind"].initial = user.district_office

    def group_data(self, *, regency_id: int, kind: str) -> GroupData:
        """What the services take, from the cleaned form (a new group's regency and kind come
        from the form, a corrected group keeps its own)."""
        d = self.cleaned_data
        return GroupData(name=d["name"], regency_id=regency_id, sector=d["sector"], leader_name=d["leader_name"],
                         leader_nik=d["leader_nik"], kecamatan=d["kecamatan"], desa=d["desa"],
                         contact_phone=d["contact_phone"], nib=d["nib"], kind=kind, members=d["members_text"])

    # Field-level checks with the product's messages, so the model's constraints (checked after)
    # never surface as "constraint … is violated" and each error stands next to its field.
    def _shown(self, nik: str) -> str:
        return policy.mask_nik(nik) if self.masked else nik

    def _unmasked(self, nik: str, known: list[str]) -> str:
        """A NIK sent back as shown: a masked one is the known NIK it masks (taken once, in order)."""
        if not self.masked or "•" not in nik:
            return nik
        for candidate in known:
            if policy.mask_nik(candidate) == nik:
                known.remove(candidate)
                return candidate
        raise forms.ValidationError(_("NIK %(nik)s yang disamarkan tidak dikenal; tulis NIK lengkap.") % {"nik": nik})

    def clean_leader_nik(self):
        nik = self._unmasked(self.cleaned_data["leader_nik"].strip(), [self.instance.leader_nik])
        if nik and (problem := nik_problem(nik)):
            raise forms.ValidationError(problem)
        return nik

    def clean_nib(self):
        nib = self.cleaned_data["nib"].strip()
        if nib and (problem := nib_problem(nib)):
            raise forms.ValidationError(problem)
        return nib

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        if phone and (problem := phone_problem(phone)):
            raise forms.ValidationError(problem)
        return phone

    def clean_members_text(self):
        members, errors = [], []
        roles = ROLE_WORDS
        known = [m.nik for m in getattr(self, "_members", [])]
        for number, line in enumerate(self.cleaned_data["members_text"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            if len(parts) < 2:
                errors.append(_("Baris %(n)s: tulis “nama; NIK”.") % {"n": number})
                continue
            role = roles.get(parts[2].lower() if len(parts) > 2 else "")
            if role is None:
                errors.append(_("Baris %(n)s: peran tidak dikenal.") % {"n": number})
                continue
            try:
                nik = self._unmasked(parts[1], known)
            except forms.ValidationError as exc:
                errors.append(_("Baris %(n)s: %(problem)s") % {"n": number, "problem": exc.messages[0]})
                continue
            members.append(MemberData(name=parts[0], nik=nik, role=role))
        if errors:
            raise forms.ValidationError(errors)
        return members


class ProposeForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)

    def __init__(self, *args, user, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs_visible_to(user).filter(status=Program.Status.ACTIVE).exclude(
            applications__group=group
        )
        self.fields["program"].label_from_instance = lambda p: f"{p.agency} · {p.name} ({p.fiscal_year})"


class StepForm(PublishesFields, forms.Form):
    """One verification move. Which fields matter depends on ``to_state``. A rejection is final,
    so it is confirmed on the form itself (``confirm_final``), with or without JavaScript."""

    published = ("sk_number", "handover_date", "handover_items", "handover_amount")

    to_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)
    expected_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Catatan / alasan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sk_number = forms.CharField(label=_("Nomor SK persetujuan"), required=False, max_length=100)
    sk_date = forms.DateField(label=_("Tanggal SK"), required=False,
                              help_text=_("Kosongkan bila SK bertanggal hari ini."),
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    handover_date = forms.DateField(label=_("Tanggal serah terima"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    handover_items = forms.CharField(label=_("Barang/uang yang diserahkan"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}),
                                     help_text=_("Dipublikasikan di rincian realisasi: tulis barangnya, bukan nama "
                                                 "orang."))
    handover_amount = RupiahField(label=_("Nilai serah terima (Rp)"), required=False, min_value=1)
    allocation = forms.ModelChoiceField(label=_("Dibayar dari alokasi"), queryset=Allocation.objects.none(),
                                        required=False)
    evidence = forms.FileField(label=_("Bukti (PDF/JPEG/PNG)"), required=False)
    missing_documents = forms.CharField(
        label=_("Dokumen yang kurang atau salah"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Satu dokumen per baris, mis. “Fotokopi NIB”."))
    confirm_final = forms.BooleanField(
        label=_("Saya paham penolakan bersifat final: usulan ini tidak dapat diusulkan lagi."), required=False)

    def __init__(self, *args, application, user, carried=None, **kwargs):
        super().__init__(*args, **kwargs)
        # On a re-check, the criteria that already passed are shown as passed, not asked again.
        self.carried = carried or {}
        self.criteria = [c for c in application.program.criteria if c not in self.carried]
        for i, criterion in enumerate(self.criteria):
            self.fields[f"criterion_{i}"] = forms.ChoiceField(
                label=criterion, required=False, widget=forms.RadioSelect,
                choices=[("yes", _("Terpenuhi")), ("no", _("Tidak terpenuhi"))],
            )
            self.fields[f"criterion_{i}_note"] = forms.CharField(label=_("Keterangan"), required=False,
                                                                 max_length=300)
        self.fields["allocation"].queryset = Allocation.objects.filter(
            program=application.program, ceiling__province_id=user.province_id
        ).select_related("ceiling__funding_source", "regency")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("to_state") == State.REJECTED and not cleaned.get("confirm_final"):
            self.add_error("confirm_final", _("Centang untuk menegaskan penolakan; penolakan tidak dapat dibatalkan."))
        return cleaned

    def answers(self) -> dict:
        result = {}
        for i, criterion in enumerate(self.criteria):
            value = self.cleaned_data.get(f"criterion_{i}")
            if value:
                result[criterion] = {"met": value == "yes", "note": self.cleaned_data.get(f"criterion_{i}_note", "")}
        return result

    def documents(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("missing_documents", "").splitlines() if line.strip()]


class BulkForm(forms.Form):
    to_state = forms.ChoiceField(label=_("Tindakan"), choices=[(State.DOC_CHECKED, _("Lolos cek dokumen")),
                                                               (State.RETURNED, _("Kembalikan untuk perbaikan"))])
    note = forms.CharField(label=_("Catatan / alasan"), required=False)
    missing_documents = forms.CharField(label=_("Dokumen yang kurang (untuk pengembalian)"), required=False,
                                        help_text=_("Pisahkan dengan koma, mis. “Fotokopi NIB, foto tempat usaha”."))
    ids = forms.CharField(widget=forms.HiddenInput, required=False)

    def documents(self) -> list[str]:
        return [d.strip() for d in self.cleaned_data.get("missing_documents", "").split(",") if d.strip()]


IMPORT_COLUMNS_HELP = _(
    "Kolom: kode_wilayah, nama_kelompok, sektor, kecamatan, desa, nama_ketua, nik_ketua, telepon, nib, "
    "jumlah_anggota, nama_anggota, nik_anggota, peran_anggota."
)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas CSV atau XLSX"), help_text=IMPORT_COLUMNS_HELP)
    program = forms.ModelChoiceField(label=_("Sekaligus usulkan ke program (opsional)"), queryset=None,
                                     required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs_visible_to(user).filter(status=Program.Status.ACTIVE)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Format berkas harus CSV atau XLSX."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("Berkas terlalu besar (maksimal 20 MB)."))
        return upload


class DuplicateResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Keputusan"), max_length=300,
                                 help_text=_("Mis. “Dua kelompok berbeda, alamat berlainan — keduanya tetap.”"))
