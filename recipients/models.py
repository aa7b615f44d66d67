"""Recipient groups (kelompok IKM, or KPM families for Dinsos), their members, and the
verification of each group's application to a program.

Members' names and NIK are personal data: only staff in scope see them, NIK masked except
to the group's own district staff, and nothing here is ever read by a public page.

One module for the app's tables (past 400 lines on purpose): Django finds an app's models in
``models.py``, and the constraints, triggers and indexes read best beside the fields they guard.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import JobLiveness
from core.storage import private_storage

NIK_REGEX = r"^\d{16}$"


class Sector(models.TextChoices):
    MASKS = "masks", _("Masker")
    GARMENTS = "garments", _("Konveksi / pakaian jadi")
    METAL = "metal", _("Logam")
    FOOD = "food", _("Makanan dan minuman herbal")
    CRAFTS = "crafts", _("Kerajinan")
    HEALTH = "health", _("Alat kesehatan (hazmat, face shield, hand sanitizer)")
    TRADE = "trade", _("Usaha ekonomi produktif (KPM)")
    OTHER = "other", _("Lainnya")


class State(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    DOC_CHECKED = "doc_checked", _("Lolos cek dokumen")
    FIELD_CHECKED = "field_checked", _("Lolos cek lapangan")
    APPROVED = "approved", _("Disetujui provinsi")
    DELIVERED = "delivered", _("Bantuan diserahkan")
    RETURNED = "returned", _("Dikembalikan untuk perbaikan")
    REJECTED = "rejected", _("Ditolak")


class RecipientGroupQuerySet(models.QuerySet):
    def in_regency(self, regency_id: int):
        return self.filter(regency_id=regency_id)

    def in_province(self, province_id: int):
        return self.filter(province_id=province_id)


@pghistory.track()
class RecipientGroup(models.Model):
    class Kind(models.TextChoices):
        IKM = "ikm", _("Kelompok IKM")
        KPM = "kpm", _("KPM (keluarga penerima manfaat)")

    name = models.CharField(_("nama kelompok"), max_length=200)
    # Lower-case, single-spaced name: the key for duplicate detection within a regency.
    normalized_name = models.CharField(max_length=200, editable=False)
    kind = models.CharField(_("jenis penerima"), max_length=3, choices=Kind.choices, default=Kind.IKM)
    regency = models.ForeignKey(
        "core.Region", verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="groups",
        limit_choices_to={"level": 2},
    )
    # The regency's province, kept next to it by the ``group_province`` trigger (any writer: the
    # services, imports, COPY): a province's scope is one indexed column, not a join to core_region.
    province = models.ForeignKey(
        "core.Region", verbose_name=_("provinsi"), null=True, blank=True, editable=False, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    kecamatan = models.CharField(_("kecamatan"), max_length=100, blank=True)
    desa = models.CharField(_("desa/kelurahan"), max_length=100, blank=True)
    sector = models.CharField(_("sektor"), max_length=10, choices=Sector.choices)
    leader_name = models.CharField(_("nama ketua"), max_length=150)
    leader_nik = models.CharField(_("NIK ketua"), max_length=16, blank=True)
    contact_phone = models.CharField(_("telepon"), max_length=20, blank=True)
    nib = models.CharField(_("NIB"), max_length=13, blank=True, help_text=_("Nomor Induk Berusaha, bila ada."))
    members_count = models.PositiveIntegerField(_("jumlah anggota"), default=0)
    # The province may withhold a group's name from the public list of aided groups, with the reason shown instead.
    name_withheld_reason = models.CharField(_("alasan nama tidak dipublikasikan"), max_length=300, blank=True,
                                            default="", db_default="")
    # When the retention task erased the leader's and members' person data (recipients.retention):
    # the group, its applications and every figure stay; names, NIKs and phone are gone.
    person_data_erased_at = models.DateTimeField(_("data pribadi dihapus"), null=True, blank=True)
    # Bumped by every edit (recipients.services.group_update): a form opened before is stale.
    # db_default too, for the bulk loaders that COPY rows in (generate_national).
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    import_batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="groups"
    )

    objects = RecipientGroupQuerySet.as_manager()

    # Person data: never listed, filtered, searched or shown outside the group's scope, and
    # never in the admin (core.admin refuses any lookup that touches these).
    PERSONAL_FIELDS = frozenset({"leader_name", "leader_nik", "contact_phone"})
    # What the public sees of a group once an application is approved (reports.publication
    # reads only these): its name, unless it is a KPM family or the province withheld it.
    PUBLISHED_FIELDS = ("public_name", "kind", "regency", "sector", "name_withheld_reason")

    class Meta:
        ordering = ["regency__code", "name"]
        verbose_name = _("kelompok penerima")
        verbose_name_plural = _("kelompok penerima")
        constraints = [
            models.UniqueConstraint(fields=["regency", "normalized_name"], name="recipients_group_unique_name",
                violation_error_message=_("Kelompok dengan nama ini sudah terdaftar di kabupaten/kota ini.")),
            models.CheckConstraint(
                name="recipients_group_leader_nik_format",
                violation_error_message=_("NIK ketua terdiri dari 16 digit angka."),
                condition=Q(leader_nik="") | Q(leader_nik__regex=NIK_REGEX)
            ),
            models.CheckConstraint(name="recipients_group_nib_format",
                violation_error_message=_("NIB terdiri dari 13 digit angka."),
                condition=Q(nib="") | Q(nib__regex=r"^\d{13}$")),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="group_province", when=pgtrigger.Before, operation=pgtrigger.Insert | pgtrigger.Update,
                func="NEW.province_id := (SELECT parent_id FROM core_region WHERE id = NEW.regency_id); RETURN NEW;",
            ),
        ]
        indexes = [
            # Group lists, ORDER BY name, id LIMIT n (seek pagination), per scope: national, a
            # province (WHERE province_id = %s), a regency (WHERE regency_id = %s AND kind = %s).
            models.Index(fields=["name", "id"], name="recipients_group_name"),
            models.Index(fields=["province", "name", "id"], name="recipients_group_prov_name"),
            models.Index(fields=["regency", "name", "id"], name="recipients_group_reg_name"),
            # Staff search ``name`` / ``leader_name`` icontains: UPPER(col) LIKE UPPER('%…%') on trigrams.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="recipients_group_name_trgm"),
            GinIndex(OpClass(Upper("leader_name"), name="gin_trgm_ops"), name="recipients_group_leader_trgm"),
            # Duplicate detection: same leader NIK / NIB / phone in any regency. The red flags
            # (reports.flags) read them whole, in order, for the values more than one group uses:
            # the group's id is carried so that a leader NIK is matched to members elsewhere by a
            # merge of two index-only scans, with no hash of a million rows.
            models.Index(fields=["leader_nik"], include=["id"], name="recipients_group_leader_nik",
                         condition=~Q(leader_nik="")),
            models.Index(fields=["nib"], name="recipients_group_nib", condition=~Q(nib="")),
            models.Index(fields=["contact_phone"], name="recipients_group_phone", condition=~Q(contact_phone="")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_name(self) -> str | None:
        """The name as published: none for a KPM family (never named) or a withheld name."""
        if self.kind == self.Kind.KPM or self.name_withheld_reason:
            return None
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Member(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("Ketua")
        SECRETARY = "secretary", _("Sekretaris")
        TREASURER = "treasurer", _("Bendahara")
        MEMBER = "member", _("Anggota")

    PERSONAL_FIELDS = frozenset({"name", "nik"})

    group = models.ForeignKey(RecipientGroup, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("nama"), max_length=150)
    nik = models.CharField(_("NIK"), max_length=16)
    role = models.CharField(_("peran"), max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["group", "role", "name"]
        verbose_name = _("anggota")
        verbose_name_plural = _("anggota")
        constraints = [
            models.UniqueConstraint(fields=["group", "nik"], name="recipients_member_unique_nik",
                violation_error_message=_("NIK ini sudah tercantum di kelompok ini.")),
            models.CheckConstraint(name="recipients_member_nik_format",
                violation_error_message=_("NIK anggota terdiri dari 16 digit angka."),
                condition=Q(nik__regex=NIK_REGEX)),
        ]
        indexes = [
            # Import preview: "this NIK is already a member elsewhere" (WHERE nik IN …); the red
            # flags' NIKs in more than one group, read in order with the group (index-only).
            models.Index(fields=["nik"], include=["group"], name="recipients_member_nik"),
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state__in=[State.DELIVERED, State.REJECTED])


@pghistory.track()
class Application(models.Model):
    """A group proposed for a program, moving through the verification steps."""

    group = models.ForeignKey(RecipientGroup, verbose_name=_("kelompok"), on_delete=models.PROTECT,
                              related_name="applications")
    program = models.ForeignKey("programs.Program", verbose_name=_("program"), on_delete=models.PROTECT,
                                related_name="applications")
    state = models.CharField(_("tahap"), max_length=15, choices=State.choices, default=State.PROPOSED)
    sk_number = models.CharField(_("nomor SK"), max_length=100, blank=True)
    # Set by recipients.services when the same group seems proposed to two programs in a year.
    has_duplicate = models.BooleanField(_("terindikasi ganda"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    # Public once approved (reports.publication): which program, how far, and the decree.
    PUBLISHED_FIELDS = ("id", "program", "group", "state", "sk_number")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("usulan")
        verbose_name_plural = _("usulan")
        constraints = [
            models.UniqueConstraint(fields=["group", "program"], name="recipients_application_unique",
                violation_error_message=_("Kelompok ini sudah diusulkan ke program ini.")),
            models.CheckConstraint(
                name="recipients_application_approved_has_sk",
                violation_error_message=_("Persetujuan memerlukan nomor SK."),
                condition=~Q(state__in=["approved", "delivered"]) | ~Q(sk_number=""),
            ),
        ]
        indexes = [
            # Verification queues: WHERE state IN (…) with a scope join on the group's regency.
            models.Index(fields=["state", "program"], name="recipients_app_state_program"),
            # Application lists, newest first: ORDER BY updated_at DESC, id DESC LIMIT n (seek
            # pagination), all states, and the queues of one state.
            models.Index(fields=["-updated_at", "-id"], name="recipients_app_updated"),
            models.Index(fields=["state", "-updated_at", "-id"], name="recipients_app_state_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.program}"


class VerificationStep(models.Model):
    """One step taken on an application: who moved it from where to where, when, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(max_length=15, choices=State.choices)
    to_state = models.CharField(max_length=15, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("catatan"), blank=True)
    # Field check: {"criterion": {"met": true, "note": "omzet turun 60%"}}.
    answers = models.JSONField(_("jawaban kriteria"), default=dict, blank=True)
    # A return names what failed: criteria in ``answers`` with met=false, and/or these documents.
    missing_documents = ArrayField(models.CharField(max_length=200), verbose_name=_("dokumen yang kurang"),
                                   default=list, blank=True)
    sk_number = models.CharField(_("nomor SK"), max_length=100, blank=True)
    # The date on the approval decree (SK), which may be earlier than the day it was recorded here;
    # a handover dated before it is a red flag (reports.flags, R04).
    sk_date = models.DateField(_("tanggal SK"), null=True, blank=True)
    handover_date = models.DateField(_("tanggal serah terima"), null=True, blank=True)
    handover_items = models.TextField(_("barang/uang yang diserahkan"), blank=True)
    handover_amount = models.BigIntegerField(_("nilai serah terima (Rp)"), null=True, blank=True)
    realization = models.OneToOneField(
        "programs.Realization", null=True, blank=True, on_delete=models.PROTECT, related_name="handover"
    )
    # The id a device gave this step when it was entered offline (recipients.fieldcheck): a resend
    # of the same submission finds this step instead of making a second one.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The application's program, kept by the database (a trigger on insert, and on a change of
    # the application's program; ``recipients/migrations/0014``) so that the public decisions of
    # one program are one index range (``reports.trail_keys``). Never set by hand.
    program = models.ForeignKey("programs.Program", null=True, blank=True, editable=False, db_index=False,
                                on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    # The public record of a decision or a delivery (the trail behind a realization): never the
    # note, the answers, the evidence or who acted.
    PUBLISHED_FIELDS = ("to_state", "created_at", "sk_number", "handover_date", "handover_items", "handover_amount",
                        "application")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("langkah verifikasi")
        verbose_name_plural = _("langkah verifikasi")
        constraints = [
            models.CheckConstraint(
                name="recipients_step_handover_amount_positive",
                violation_error_message=_("Nilai serah terima harus lebih dari nol."),
                condition=Q(handover_amount__isnull=True) | Q(handover_amount__gt=0),
            ),
        ]
        indexes = [
            # Province page funnel and application timelines: WHERE application_id = %s.
            models.Index(fields=["application", "created_at"], name="recipients_step_app_time"),
            # The public decisions trail (approvals and deliveries), newest first: all of them, and
            # one program's (reports.trail_keys.decision_keys walks one range per program).
            models.Index(fields=["-created_at", "-id"], name="recipients_step_public",
                         condition=Q(to_state__in=("approved", "delivered"))),
            models.Index(fields=["program", "-created_at", "-id"], name="recipients_step_public_prog",
                         condition=Q(to_state__in=("approved", "delivered"))),
            # The value handed over in a scope: one program's deliveries, read from the index.
            models.Index(fields=["program"], include=["handover_amount"], name="recipients_step_delivered",
                         condition=Q(to_state="delivered")),
        ]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Evidence(models.Model):
    """A PDF/JPEG/PNG kept outside the web root; served only by ``recipients:evidence``."""

    step = models.ForeignKey(VerificationStep, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bukti")
        verbose_name_plural = _("bukti")

    def __str__(self) -> str:
        return self.original_name


class DuplicateFlag(models.Model):
    """Two applications in one fiscal year that look like the same group, for the province."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="duplicate_flags")
    other = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "other"], name="recipients_duplicate_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ~ {self.other_id}: {self.reason}"


class ImportBatch(JobLiveness):
    """An uploaded CSV/XLSX of groups and members: validated first, written all-or-nothing."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Sedang diperiksa")
        INVALID = "invalid", _("Ada baris yang salah")
        READY = "ready", _("Siap disimpan")
        COMMITTING = "committing", _("Sedang disimpan")
        COMMITTED = "committed", _("Tersimpan")
        FAILED = "failed", _("Gagal")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey("programs.Program", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("usulkan ke program"))
    file = models.FileField(upload_to="imports/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    groups_count = models.PositiveIntegerField(default=0)
    members_count = models.PositiveIntegerField(default=0)
    # Groups in the file already registered exactly so (an exported file imported back): skipped.
    unchanged_count = models.PositiveIntegerField(default=0)
    # The first groups as they will be saved (NIKs masked), for the preview page.
    preview = models.JSONField(default=list, blank=True)
    # [{"row": 12, "column": "nik_anggota", "message": "…"}], every error of every row.
    errors = models.JSONField(default=list, blank=True)
    # The validated groups and members (JSON, kept with the upload), so the commit writes what
    # the preview showed without reading and checking the file a second time.
    parsed = models.FileField(upload_to="imports/%Y/%m/", storage=private_storage, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Liveness (JobLiveness): the worker on it holds advisory lock (IMPORT_LOCK_CLASS, id).

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The reaper: batches a worker should be working on.
            models.Index(fields=["status"], name="recipients_importbatch_busy",
                         condition=models.Q(status__in=["validating", "committing"])),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ExportJob(JobLiveness):
    """A download too big for one web request (every XLSX, a CSV over ``EXPORT_SYNC_MAX_ROWS``):
    built by a Celery worker into a private file, with progress, for its creator only, kept
    ``EXPORT_KEEP_HOURS`` and then deleted (``recipients.exports``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu giliran")
        RUNNING = "running", _("Sedang disiapkan")
        DONE = "done", _("Siap diunduh")
        FAILED = "failed", _("Gagal")
        EXPIRED = "expired", _("Kedaluwarsa")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    # Waiting for a worker or being built: the reaper's and a double click's concern.
    BUSY = (Status.QUEUED, Status.RUNNING)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Which staff table (``recipients.exports.TABLES``): the groups, a budget table, or a report
    # (a PDF document registered by ``reports``).
    table = models.CharField(max_length=12, default="kelompok")
    fmt = models.CharField(max_length=4, choices=Format.choices)
    # The table's filters as validated (and its sort): the worker applies them again in the
    # creator's scope, so the file holds what the creator's list shows.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", storage=private_storage, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Liveness (JobLiveness): the worker on it holds advisory lock (EXPORT_LOCK_CLASS, id).

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The reaper: jobs a worker should be on, and files past their time.
            models.Index(fields=["status"], name="recipients_export_open",
                         condition=models.Q(status__in=["queued", "running", "done"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_fmt_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def busy(self) -> bool:
        return self.status in self.BUSY


@pgtrigger.register(pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete))
class PersonalDataView(models.Model):
    """One showing of full NIKs to a staff account: who, when, from which page or export, and the
    groups whose leader (and, where ``members``, members) it showed. Append-only in the database.

    What a breach notice within 3 × 24 hours needs (UU 27/2022): for any account and period,
    every person whose data it did see (``recipients.access``). Masked NIKs are not logged."""

    class Where(models.TextChoices):
        GROUP_PAGE = "group_page", _("Halaman kelompok")
        GROUP_FORM = "group_form", _("Formulir perbaikan kelompok")
        EXPORT = "export", _("Unduhan daftar kelompok")
        DATA_REQUEST = "data_request", _("Laporan permintaan data pribadi")
        FLAG = "flag", _("Halaman temuan (red flag)")

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    where = models.CharField(_("tempat"), max_length=12, choices=Where.choices)
    path = models.CharField(_("alamat"), max_length=300, blank=True)
    group_ids = ArrayField(models.BigIntegerField(), verbose_name=_("kelompok"))
    members = models.BooleanField(_("termasuk anggota"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The DPO's page: one account's views in a period (WHERE viewer_id = %s AND created_at BETWEEN …).
            models.Index(fields=["viewer", "created_at"], name="recipients_pdv_viewer_time"),
            # A person's data request: every view that showed their group (WHERE group_ids @> ARRAY[%s]).
            GinIndex(fields=["group_ids"], name="recipients_pdv_groups"),
        ]

    def __str__(self) -> str:
        return f"{self.get_where_display()} · {len(self.group_ids)}"


@pgtrigger.register(pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete))
class RetentionRun(models.Model):
    """One pass of the retention rule (``recipients.retention``): first a dry run that lists what
    would be erased, then, ``RETENTION_GRACE_DAYS`` later, the erasure of those groups (``applies``
    names the dry run). Append-only: the record of what was erased, when and under which rule."""

    created_at = models.DateTimeField(auto_now_add=True)
    dry_run = models.BooleanField(_("uji coba"))
    applies = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="applied_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    years = models.PositiveSmallIntegerField(_("masa simpan (tahun)"))
    # Person data of groups whose every program's fiscal year is before this year is erased.
    before_year = models.PositiveSmallIntegerField(_("program dengan tahun anggaran sebelum"))
    group_ids = ArrayField(models.BigIntegerField(), verbose_name=_("kelompok"), default=list)
    members = models.PositiveIntegerField(_("anggota"), default=0)
    photos = models.PositiveIntegerField(_("foto bukti"), default=0)
    imports = models.PositiveIntegerField(_("berkas impor"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{'uji' if self.dry_run else 'hapus'} {len(self.group_ids)} · {self.created_at:%Y-%m-%d}"
