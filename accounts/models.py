"""Staff users and the one role each holds, with its scope.

The role decides what a user may see and do; the scope (province, regency, agency)
decides where. Scoping of each model is decided in one place (``*_visible_to(user)``
selectors, ``*/policy.py`` and the ``rules`` predicates in ``core/rules.py``), all reading these fields.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.i18n import shown

# Who may act where: a change of any of these is a row in the user's history (who changed it, when).
SCOPE_FIELDS = ("role", "province", "regency", "agency", "district_office", "is_active")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(condition=pghistory.AnyChange(*SCOPE_FIELDS)),
                 fields=list(SCOPE_FIELDS), model_name="UserScopeEvent")
class User(AbstractUser):
    """One role, with its scope, as Indonesian budget practice divides the work:

    - national admin (Kemenperin): reads everything, manages the coordinators;
    - budget coordinator (BPKAD/Bappeda) of a province: sets ceilings (pagu) and allocates
      them to OPD programs; invites and deactivates the province's staff;
    - OPD officer (Disperindag, Dinsos, …) of a province: that OPD's programs, realizations,
      approvals and deliveries only (``agency`` is required);
    - district staff of a regency office: Disperindag kab/kota checks IKM groups, Dinsos
      kab/kota checks KPM families (``district_office``).
    """

    class Role(models.TextChoices):
        NONE = "", _("Tanpa peran")
        NATIONAL_ADMIN = "national", _("Admin nasional")
        COORDINATOR = "coordinator", _("Koordinator anggaran provinsi")
        PROVINCIAL_OFFICER = "province", _("Pejabat OPD provinsi")
        DISTRICT_STAFF = "district", _("Petugas kabupaten/kota")
        DATA_PROTECTION = "dpo", _("Pejabat pelindungan data provinsi")
        # An inspectorate (Inspektorat provinsi, BPKP perwakilan) reads everything of its
        # province, or of the country when no province is set, and decides red-flag cases only.
        AUDITOR = "auditor", _("Auditor (Inspektorat / BPKP)")

    class Office(models.TextChoices):
        """Which recipients a regency office verifies (the values of ``RecipientGroup.Kind``)."""

        NONE = "", "—"
        IKM = "ikm", _("Disperindag kab/kota (kelompok IKM)")
        KPM = "kpm", _("Dinsos kab/kota (KPM)")

    role = models.CharField(_("peran"), max_length=12, choices=Role.choices, blank=True, default="")
    province = models.ForeignKey(
        "core.Region",
        verbose_name=_("provinsi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 1},
        help_text=_("Provinsi tempat pengguna bertugas. Untuk petugas kabupaten/kota diisi otomatis."),
    )
    regency = models.ForeignKey(
        "core.Region",
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 2},
    )
    agency = models.ForeignKey(
        "programs.Agency",
        verbose_name=_("OPD"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Wajib untuk pejabat OPD: OPD yang programnya ia kelola."),
    )
    district_office = models.CharField(
        _("kantor kabupaten/kota"), max_length=3, choices=Office.choices, blank=True, default="",
        help_text=_("Untuk petugas kabupaten/kota: penerima yang diverifikasi kantornya."),
    )
    # Notifications by e-mail: one mail per event, a daily digest, or none (inbox only).
    class EmailChoice(models.TextChoices):
        EACH = "each", _("Setiap kejadian")
        DIGEST = "digest", _("Ringkasan harian")
        NONE = "none", _("Tidak usah (kotak masuk saja)")

    notification_email = models.CharField(
        _("notifikasi e-mail"), max_length=6, choices=EmailChoice.choices, default=EmailChoice.EACH
    )
    # The signature block of the reports this person signs (reports.documents): the officer's NIP
    # (18 digits), position, and the place written before the date ("Serang, 5 Desember 2026").
    nip = models.CharField(_("NIP"), max_length=18, blank=True, default="",
                           validators=[RegexValidator(r"^[0-9]{18}$", _("NIP terdiri dari 18 angka."))],
                           help_text=_("Nomor Induk Pegawai, 18 angka, untuk blok tanda tangan laporan."))
    position = models.CharField(_("jabatan"), max_length=150, blank=True, default="")
    signing_place = models.CharField(_("tempat penandatanganan"), max_length=60, blank=True, default="",
                                     help_text=_("Kota yang ditulis sebelum tanggal, mis. Serang."))

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            models.CheckConstraint(
                name="accounts_user_scope_matches_role",
                violation_error_message=_("Wilayah tugas tidak sesuai dengan peran pengguna."),
                condition=(
                    Q(role__in=["national", ""], province__isnull=True, regency__isnull=True)
                    | Q(role="auditor", regency__isnull=True)
                    | Q(role__in=["coordinator", "province", "dpo"], province__isnull=False, regency__isnull=True)
                    | Q(role="district", province__isnull=False, regency__isnull=False)
                ),
            ),
            # One account per address, whatever its case: a reset link mailed there signs in one
            # person only (20 parallel invitations once made 3 accounts).
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="accounts_user_email_unique",
                                    violation_error_message=_("Sudah ada akun dengan e-mail ini.")),
            models.CheckConstraint(
                name="accounts_user_officer_has_agency",
                violation_error_message=_("Pejabat OPD harus punya OPD."),
                condition=~Q(role="province") | Q(agency__isnull=False),
            ),
            models.CheckConstraint(
                name="accounts_user_district_office",
                violation_error_message=_("Petugas kabupaten/kota harus punya jenis kantor (IKM atau KPM)."),
                condition=(Q(role="district", district_office__in=["ikm", "kpm"])
                           | (~Q(role="district") & Q(district_office=""))),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.DISTRICT_STAFF:
            if not self.regency_id:
                raise ValidationError({"regency": _("Petugas kabupaten/kota harus punya kabupaten/kota.")})
            if not self.district_office:
                raise ValidationError({"district_office": _("Pilih jenis kantor: IKM atau KPM.")})
            self.province_id = self.regency.parent_id
        elif self.role == self.Role.AUDITOR:
            self.regency = self.agency = None
        elif self.role in (self.Role.PROVINCIAL_OFFICER, self.Role.COORDINATOR, self.Role.DATA_PROTECTION):
            if not self.province_id:
                raise ValidationError({"province": _("Pejabat provinsi harus punya provinsi.")})
            if self.role == self.Role.PROVINCIAL_OFFICER and not self.agency_id:
                raise ValidationError({"agency": _("Pejabat OPD harus punya OPD.")})
            self.regency = None
        else:
            self.province = self.regency = None
        if self.role != self.Role.DISTRICT_STAFF:
            self.district_office = ""
        if self.agency_id and self.province_id and self.agency.province_id not in (None, self.province_id):
            raise ValidationError({"agency": _("OPD harus berada di provinsi pengguna.")})

    @property
    def is_national_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == self.Role.NATIONAL_ADMIN)

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role == self.Role.COORDINATOR

    @property
    def is_provincial_officer(self) -> bool:
        """An OPD officer of a province (``agency`` says which OPD)."""
        return self.is_active and self.role == self.Role.PROVINCIAL_OFFICER

    @property
    def is_provincial(self) -> bool:
        """Works in a province office: its budget coordinator or one of its OPD officers."""
        return self.is_coordinator or self.is_provincial_officer

    @property
    def is_district_staff(self) -> bool:
        return self.is_active and self.role == self.Role.DISTRICT_STAFF

    @property
    def is_data_protection_officer(self) -> bool:
        """Reads who saw which person's data in the province, answers data requests, runs retention."""
        return self.is_active and self.role == self.Role.DATA_PROTECTION

    @property
    def is_auditor(self) -> bool:
        """An inspectorate's auditor: reads its province (every province without one), decides
        red-flag cases (``reports.flags``), changes nothing else."""
        return self.is_active and self.role == self.Role.AUDITOR

    @property
    def scope_label(self) -> str:
        """What the header shows: "Pejabat provinsi · Banten"; uses the loaded relations."""
        where = self.regency or self.province
        role = self.get_role_display() if self.role else (_("Superuser") if self.is_superuser else "")
        if self.role == self.Role.PROVINCIAL_OFFICER and self.agency_id:
            role = self.agency
        elif self.role == self.Role.DISTRICT_STAFF:
            role = self.get_district_office_display()
        return f"{role} · {where}" if where else str(role)


# The same, as column names (``regency_id``): what the history snapshots and comparisons read.
SCOPE_COLUMNS = tuple(User._meta.get_field(name).attname for name in SCOPE_FIELDS)


class Notification(models.Model):
    """Something a user must act on or know about, shown in their inbox (and mailed, unless
    they turned mail off or chose the daily digest)."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("Dikembalikan untuk perbaikan")
        READY_FOR_APPROVAL = "ready", _("Siap disetujui")
        RESUBMITTED = "resubmitted", _("Diperbaiki dan diusulkan lagi")
        APPROVED = "approved", _("Disetujui")
        DUPLICATE = "duplicate", _("Indikasi penerima ganda")
        IMPORT_DONE = "import", _("Impor selesai")
        IMPORT_FAILED = "import_failed", _("Impor gagal")
        ROLLUP_FAILED = "rollup_failed", _("Rekap gagal")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("jenis"), max_length=15, choices=Kind.choices)
    text = models.CharField(_("isi"), max_length=300)
    # The same message as written in the code, and its values: shown in the reader's language.
    message = models.CharField(max_length=300, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The unread count in the navigation and the inbox: WHERE user_id = %s AND read_at IS NULL.
            models.Index(fields=["user", "-created_at"], name="accounts_notif_unread",
                         condition=Q(read_at__isnull=True)),
            # An application moved: its unread notifications are done (WHERE url = %s AND unread).
            models.Index(fields=["url"], name="accounts_notif_unread_url", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def shown(self) -> str:
        """The message in the active language (``text``, as first written, for older rows)."""
        return shown({"msgid": self.message, "params": self.params, "message": self.text}) if self.message \
            else self.text


@pgtrigger.register(pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete))
class AccountEvent(models.Model):
    """What happened to the keys of an account, append-only (the database refuses UPDATE and
    DELETE): address and password changes, second factors enrolled or reset, lockouts lifted.
    Shown on the account's page to the account and to whoever manages it."""

    class Kind(models.TextChoices):
        EMAIL_CHANGE_REQUESTED = "email_requested", _("Perubahan e-mail diminta")
        EMAIL_CHANGED = "email_changed", _("E-mail diubah")
        PASSWORD_CHANGED = "password_changed", _("Kata sandi diubah")
        PASSWORD_RESET = "password_reset", _("Kata sandi diatur lewat tautan e-mail")
        TOTP_ENROLLED = "totp_enrolled", _("Aplikasi autentikator didaftarkan")
        TOTP_RESET = "totp_reset", _("Faktor kedua direset")
        RECOVERY_CODES = "recovery_codes", _("Kode pemulihan dibuat")
        RECOVERY_USED = "recovery_used", _("Kode pemulihan dipakai")
        UNLOCKED = "unlocked", _("Kunci masuk dibuka")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="account_events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kejadian"), max_length=16, choices=Kind.choices)
    detail = models.CharField(_("keterangan"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("kejadian akun")
        verbose_name_plural = _("kejadian akun")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user}"
