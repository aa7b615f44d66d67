"""Agencies, programs and the money: ceilings, allocations, revisions, realizations.

Invariants live in the database as named constraints. The two cross-row ones (allocations
never exceed the ceiling, realizations never exceed the allocation) are held by running
totals that the services in ``programs/services.py`` update under a row lock, and that
check constraints bound: ``allocated_total <= amount`` on the ceiling and
``realized_total <= amount`` on the allocation. A concurrent writer that slipped past a
form would still hit the constraint.

One module for the app's tables (past 400 lines on purpose): Django finds an app's models in
``models.py``, and the constraints read best beside the fields they guard.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import search

FISCAL_YEAR_RANGE = Q(fiscal_year__gte=2000) & Q(fiscal_year__lte=2100)


class SourceArticle(models.Model):
    """A news article a figure comes from (``shared/seeds``), so every page can cite it."""

    key = models.SlugField(_("kunci"), max_length=40, unique=True)
    title = models.CharField(_("judul"), max_length=300)
    publisher = models.CharField(_("penerbit"), max_length=120)
    published_on = models.DateField(_("tanggal terbit"), null=True, blank=True)

    # Published (reports.publication): every figure from an article cites it.
    PUBLISHED_FIELDS = ("title", "publisher", "published_on")

    class Meta:
        ordering = ["published_on", "key"]
        verbose_name = _("artikel sumber")
        verbose_name_plural = _("artikel sumber")

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"


class Provenance(models.Model):
    """Where a figure comes from: an article, or plausible illustrative demo data."""

    source = models.ForeignKey(
        SourceArticle, verbose_name=_("sumber"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_illustrative = models.BooleanField(
        _("ilustrasi"), default=False, help_text=_("Data contoh yang tidak berasal dari artikel.")
    )

    class Meta:
        abstract = True


class FundingSource(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("Nasional")
        PROVINCE = "province", _("Provinsi")
        REGENCY = "regency", _("Kabupaten/kota")

    code = models.SlugField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)

    PUBLISHED_FIELDS = ("code", "name")

    class Meta:
        ordering = ["code"]
        verbose_name = _("sumber dana")
        verbose_name_plural = _("sumber dana")

    def __str__(self) -> str:
        return self.name


class AgencyQuerySet(models.QuerySet):
    def in_province(self, province_id: int):
        return self.filter(province_id=province_id)


@pghistory.track()
class Agency(Provenance):
    """An OPD (organisasi perangkat daerah), or a national body such as Kemenperin."""

    class Kind(models.TextChoices):
        KEMENPERIN = "kemenperin", _("Kemenperin / Ditjen IKMA")
        DISPERINDAG = "disperindag", _("Dinas Perindustrian dan Perdagangan")
        DISPERIN = "disperin", _("Dinas Perindustrian")
        DINSOS = "dinsos", _("Dinas Sosial")
        DINKOP = "dinkop", _("Dinas Koperasi dan UKM")
        FINANCE = "keuangan", _("BPKAD / Bappeda (keuangan dan perencanaan)")
        OTHER = "lainnya", _("OPD lainnya")

    class Level(models.TextChoices):
        NATIONAL = "national", _("Nasional")
        PROVINCE = "province", _("Provinsi")
        REGENCY = "regency", _("Kabupaten/kota")

    name = models.CharField(_("nama"), max_length=200)
    short_name = models.CharField(_("singkatan"), max_length=60)
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    province = models.ForeignKey(
        "core.Region", verbose_name=_("provinsi"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    regency = models.ForeignKey(
        "core.Region",
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AgencyQuerySet.as_manager()

    PUBLISHED_FIELDS = ("id", "name", "short_name")

    class Meta:
        ordering = ["province__code", "name"]
        verbose_name = _("OPD")
        verbose_name_plural = _("OPD")
        constraints = [
            models.CheckConstraint(
                name="programs_agency_region_matches_level",
                violation_error_message=_("Wilayah OPD tidak sesuai dengan tingkatnya."),
                condition=(
                    Q(level="national", province__isnull=True, regency__isnull=True)
                    | Q(level="province", province__isnull=False, regency__isnull=True)
                    | Q(level="regency", province__isnull=False, regency__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["name", "province", "regency"], name="programs_agency_unique_name",
                violation_error_message=_("OPD dengan nama ini sudah ada di wilayah tersebut."), nulls_distinct=False
            ),
        ]
        indexes = [
            # Public search: ikm_search_document(name, short_name) @@ to_tsquery('simple', …).
            GinIndex(search.document("name", "short_name"), name="programs_agency_search"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class ProgramQuerySet(models.QuerySet):
    def for_year(self, year: int):
        return self.filter(fiscal_year=year)

    def in_province(self, province_id: int):
        return self.filter(agency__province_id=province_id)

    def public(self):
        return self.exclude(status=Program.Status.DRAFT)


@pghistory.track()
class Program(Provenance):
    class Kind(models.TextChoices):
        TECHNICAL = "technical", _("Bantuan teknis")
        EQUIPMENT = "equipment", _("Bantuan peralatan")
        CAPITAL_IN_KIND = "capital", _("Modal usaha berupa barang")
        TRAINING = "training", _("Pelatihan / Bimtek")
        PROMOTION = "promotion", _("Promosi dan pemasaran")
        CERTIFICATION = "certification", _("Fasilitasi sertifikasi")

    class Unit(models.TextChoices):
        GROUPS = "groups", _("kelompok IKM")
        FAMILIES = "families", _("KPM (keluarga penerima manfaat)")
        IKM = "ikm", _("IKM")
        PARTICIPANTS = "participants", _("peserta")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draf")
        ACTIVE = "active", _("Berjalan")
        CLOSED = "closed", _("Selesai")

    agency = models.ForeignKey(Agency, verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="programs")
    fiscal_year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    name = models.CharField(_("nama program"), max_length=200)
    kind = models.CharField(_("jenis bantuan"), max_length=15, choices=Kind.choices)
    description = models.TextField(_("uraian"), blank=True)
    target_count = models.PositiveIntegerField(_("target penerima"), default=0)
    target_unit = models.CharField(_("satuan target"), max_length=15, choices=Unit.choices, default=Unit.GROUPS)
    criteria = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("kriteria kelayakan"),
        default=list,
        blank=True,
        help_text=_("Satu kriteria per baris, mis. “Sangat terdampak: omzet turun”."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    objects = ProgramQuerySet.as_manager()

    PUBLISHED_FIELDS = ("id", "name", "fiscal_year", "agency")

    class Meta:
        ordering = ["-fiscal_year", "name"]
        verbose_name = _("program")
        verbose_name_plural = _("program")
        constraints = [
            models.CheckConstraint(name="programs_program_fiscal_year_range",
                violation_error_message=_("Tahun anggaran harus antara 2000 dan 2100."), condition=FISCAL_YEAR_RANGE),
            models.UniqueConstraint(fields=["agency", "fiscal_year", "name"], name="programs_program_unique_name",
                violation_error_message=_("OPD ini sudah punya program dengan nama ini pada tahun tersebut.")),
        ]
        indexes = [
            # Public search over name, description and criteria: ikm_search_document(…) @@ to_tsquery(…).
            GinIndex(search.document("name", "description", "criteria"), name="programs_program_search"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fiscal_year})"


class CeilingQuerySet(models.QuerySet):
    def in_province(self, province_id: int):
        return self.filter(province_id=province_id)


@pghistory.track()
class BudgetCeiling(Provenance):
    """*Pagu*: the money a province has for a fiscal year from one funding source."""

    province = models.ForeignKey(
        "core.Region",
        verbose_name=_("provinsi"),
        on_delete=models.PROTECT,
        related_name="ceilings",
        limit_choices_to={"level": 1},
    )
    fiscal_year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("sumber dana"), on_delete=models.PROTECT, related_name="ceilings"
    )
    amount = models.BigIntegerField(_("pagu (Rp)"))
    # Sum of this ceiling's allocations, kept by programs.services under a lock on this row.
    allocated_total = models.BigIntegerField(_("total alokasi (Rp)"), default=0, editable=False)
    note = models.TextField(_("catatan"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Hidden form token: a double-clicked submit finds the first record instead of a second.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CeilingQuerySet.as_manager()

    # The trail behind a province's ceiling figure (reports.trail); the note is internal.
    PUBLISHED_FIELDS = ("id", "province", "fiscal_year", "funding_source", "amount", "source", "is_illustrative")

    class Meta:
        ordering = ["-fiscal_year", "province__code", "funding_source__code"]
        verbose_name = _("pagu anggaran")
        verbose_name_plural = _("pagu anggaran")
        constraints = [
            models.CheckConstraint(name="programs_ceiling_amount_nonnegative",
                violation_error_message=_("Pagu tidak boleh negatif."), condition=Q(amount__gte=0)),
            models.CheckConstraint(name="programs_ceiling_allocated_nonnegative",
                violation_error_message=_("Total alokasi tidak boleh negatif."), condition=Q(allocated_total__gte=0)),
            models.CheckConstraint(
                name="programs_ceiling_allocated_within_amount",
                violation_error_message=_("Total alokasi tidak boleh melebihi pagu."),
                condition=Q(allocated_total__lte=F("amount"))
            ),
            models.CheckConstraint(name="programs_ceiling_fiscal_year_range",
                violation_error_message=_("Tahun anggaran harus antara 2000 dan 2100."), condition=FISCAL_YEAR_RANGE),
            models.UniqueConstraint(
                fields=["province", "fiscal_year", "funding_source"], name="programs_ceiling_unique_bucket",
                violation_error_message=_("Pagu untuk provinsi, tahun dan sumber dana ini sudah ada.")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.fiscal_year} · {self.funding_source}"

    @property
    def headroom(self) -> int:
        return self.amount - self.allocated_total


class AllocationQuerySet(models.QuerySet):
    def in_province(self, province_id: int):
        return self.filter(ceiling__province_id=province_id)

    def with_related(self):
        return self.select_related(
            "ceiling__province", "ceiling__funding_source", "program__agency", "regency"
        )


@pghistory.track()
class Allocation(Provenance):
    """Money from a ceiling given to one program, optionally earmarked for one regency."""

    ceiling = models.ForeignKey(
        BudgetCeiling, verbose_name=_("pagu"), on_delete=models.PROTECT, related_name="allocations"
    )
    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="allocations"
    )
    regency = models.ForeignKey(
        "core.Region",
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text=_("Kosongkan bila alokasi untuk seluruh provinsi."),
    )
    amount = models.BigIntegerField(_("alokasi (Rp)"))
    # Sum of this allocation's realizations, kept by programs.services under a lock on this row.
    realized_total = models.BigIntegerField(_("total realisasi (Rp)"), default=0, editable=False)
    note = models.TextField(_("catatan"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Hidden form token: a double-clicked submit finds the first record instead of a second.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AllocationQuerySet.as_manager()

    # The trail behind an allocation figure: the program, where, how much, and every revision.
    PUBLISHED_FIELDS = ("id", "program", "regency", "amount", "source", "is_illustrative", "revisions")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alokasi")
        verbose_name_plural = _("alokasi")
        constraints = [
            models.CheckConstraint(name="programs_allocation_amount_nonnegative",
                violation_error_message=_("Alokasi tidak boleh negatif."), condition=Q(amount__gte=0)),
            models.CheckConstraint(name="programs_allocation_realized_nonnegative",
                violation_error_message=_("Total realisasi tidak boleh negatif."), condition=Q(realized_total__gte=0)),
            models.CheckConstraint(
                name="programs_allocation_realized_within_amount",
                violation_error_message=_("Total realisasi tidak boleh melebihi alokasi."),
                condition=Q(realized_total__lte=F("amount"))
            ),
            models.UniqueConstraint(
                fields=["ceiling", "program", "regency"], name="programs_allocation_unique_bucket",
                violation_error_message=_("Alokasi untuk pagu, program dan wilayah ini sudah ada; revisi alokasinya."),
                nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        where = f" · {self.regency}" if self.regency_id else ""
        return f"{self.program.name}{where}"

    @property
    def headroom(self) -> int:
        return self.amount - self.realized_total


class AllocationRevision(models.Model):
    """One change of an allocated amount, with the reason (e.g. the 2020 *refocusing*)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="revisions")
    old_amount = models.BigIntegerField(_("jumlah lama (Rp)"))
    new_amount = models.BigIntegerField(_("jumlah baru (Rp)"))
    reason = models.TextField(_("alasan"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Old → new, why and when; never who (the actor is staff).
    PUBLISHED_FIELDS = ("old_amount", "new_amount", "reason", "created_at")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("revisi alokasi")
        verbose_name_plural = _("revisi alokasi")
        constraints = [
            models.CheckConstraint(name="programs_revision_reason_required",
                violation_error_message=_("Alasan revisi wajib diisi."), condition=~Q(reason="")),
            models.CheckConstraint(name="programs_revision_new_amount_nonnegative",
                violation_error_message=_("Jumlah baru tidak boleh negatif."), condition=Q(new_amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.old_amount} → {self.new_amount}: {self.reason}"


class RealizationQuerySet(models.QuerySet):
    def in_province(self, province_id: int):
        return self.filter(allocation__ceiling__province_id=province_id)


@pghistory.track()
class Realization(models.Model):
    """Money spent or goods delivered against an allocation."""

    allocation = models.ForeignKey(
        Allocation, verbose_name=_("alokasi"), on_delete=models.PROTECT, related_name="realizations"
    )
    date = models.DateField(_("tanggal"))
    amount = models.BigIntegerField(_("jumlah (Rp)"))
    description = models.CharField(_("uraian"), max_length=300)
    # The payment order (SP2D) or the handover record (BAST) this money is documented by.
    document_number = models.CharField(_("nomor SP2D / berita acara"), max_length=100, blank=True, default="",
                                       db_default="")  # db_default: generate_national COPYs without it
    # A wrong realization is never edited or deleted: a reversal entry (negative, same amount,
    # same date) cancels it, with the reason in its description. Totals and the rollup sum both.
    reverses = models.OneToOneField(
        "self", verbose_name=_("koreksi atas"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reversal",
    )
    # Demo data not from an article (a reversal inherits its original's flag); shown "ilustrasi"
    # on every page and download whose figure it is part of.
    is_illustrative = models.BooleanField(_("ilustrasi"), default=False, db_default=False)
    # Hidden form token: a double-clicked submit finds the first record instead of a second.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RealizationQuerySet.as_manager()

    # The trail behind a realization figure: its allocation, date, amount, what it paid for, its
    # document number, the entry it reverses, and the handover it records (the group's public name).
    PUBLISHED_FIELDS = ("id", "allocation", "date", "amount", "public_description", "document_number", "reverses",
                        "is_illustrative", "handover")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("realisasi")
        verbose_name_plural = _("realisasi")
        constraints = [
            # Spending is positive; only a reversal entry is negative.
            models.CheckConstraint(
                name="programs_realization_amount_sign",
                violation_error_message=_("Jumlah realisasi harus lebih dari nol."),
                condition=Q(reverses__isnull=True, amount__gt=0) | Q(reverses__isnull=False, amount__lt=0),
            ),
        ]
        indexes = [
            # Realization per month on the province page and the rollup: GROUP BY allocation, date;
            # the public trail: each allocation's newest realizations (reports.trail_keys).
            models.Index(fields=["allocation", "date", "id"], name="programs_real_alloc_date_id"),
            # Staff list and admin, newest first: ORDER BY date DESC, id DESC LIMIT n (seek pagination).
            models.Index(fields=["-date", "-id"], name="programs_real_date_id"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.description}"

    @property
    def public_description(self) -> str:
        """The description as published. A handover's (and its reversal's) description names
        the group, which may be a KPM family or a withheld name: the public reads the handover
        with the group's public name instead (select_related ``handover`` and ``reverses__handover``)."""
        if _handover_of(self) is not None or (self.reverses_id and _handover_of(self.reverses) is not None):
            return str(_("Koreksi serah terima bantuan") if self.reverses_id else _("Serah terima bantuan"))
        return self.description


def _handover_of(realization):
    try:
        return realization.handover
    except ObjectDoesNotExist:
        return None


class Indicator(Provenance):
    """A figure reported for a province, with its source: IKM affected, layoffs, surveys."""

    class Kind(models.TextChoices):
        IKM_AFFECTED = "ikm_affected", _("IKM terdampak")
        WORKERS_LAID_OFF = "laid_off", _("Pekerja dirumahkan/PHK")
        REVENUE_SURVEY = "revenue_survey", _("Survei omzet")
        BENEFICIARIES = "beneficiaries", _("Penerima manfaat")

    province = models.ForeignKey(
        "core.Region", verbose_name=_("provinsi"), on_delete=models.PROTECT, related_name="indicators"
    )
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    value = models.BigIntegerField(_("nilai"), null=True, blank=True)
    note = models.CharField(_("keterangan"), max_length=300, blank=True)
    as_of = models.DateField(_("per tanggal"), null=True, blank=True)

    class Meta:
        ordering = ["province__code", "kind"]
        verbose_name = _("indikator")
        verbose_name_plural = _("indikator")
        constraints = [
            models.CheckConstraint(
                name="programs_indicator_value_nonnegative",
                violation_error_message=_("Nilai indikator tidak boleh negatif."),
                condition=Q(value__gte=0) | Q(value__isnull=True)
            ),
            models.UniqueConstraint(fields=["province", "kind", "as_of"], name="programs_indicator_unique",
                violation_error_message=_("Indikator ini sudah tercatat untuk tanggal tersebut.")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
