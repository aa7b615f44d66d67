"""The reporting layer's tables: what every public figure, chart, download and API answer reads.

Rebuilt from the raw rows by ``reports.rollup`` (one run at a time, whole tables replaced in one
transaction), never written by anything else. The tables keep the names they had when they
lived in ``programs`` and ``recipients`` (``db_table``), so moving them changed no data.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import JobLiveness
from core.storage import private_storage
from recipients.models import State


def rollup_fk(to, **kwargs):
    """A foreign key on a rollup table: no constraint (the table is rebuilt whole each run)
    and no index of its own (only the composite indexes the reports need, to keep the
    rebuild cheap)."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False, **kwargs
    )


class BudgetRollup(models.Model):
    """Nightly totals per fiscal year × province × regency × agency × program × funding source.

    Written only by ``reports.rollup.rollup_run`` (whole table replaced in one transaction);
    every chart and public figure reads this, never the raw rows. A ceiling is its own
    bucket (agency, program and regency empty), so sums over any slice never double count.
    """

    fiscal_year = models.PositiveSmallIntegerField()
    province = rollup_fk("core.Region")
    regency = rollup_fk("core.Region", null=True)
    agency = rollup_fk("programs.Agency", null=True)
    program = rollup_fk("programs.Program", null=True)
    funding_source = rollup_fk("programs.FundingSource")
    ceiling_amount = models.BigIntegerField(default=0)
    allocated_amount = models.BigIntegerField(default=0)
    realized_amount = models.BigIntegerField(default=0)
    allocation_count = models.IntegerField(default=0)
    realization_count = models.IntegerField(default=0)
    # Some of this bucket's money is demo data not from an article (ceiling, allocation or
    # realization flagged is_illustrative): every page and download badges it "ilustrasi".
    is_illustrative = models.BooleanField(default=False)

    class Meta:
        db_table = "programs_budgetrollup"
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "province", "regency", "agency", "program", "funding_source"],
                name="programs_rollup_unique_bucket",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            # Province page and per-province charts: WHERE province_id = %s.
            models.Index(fields=["province", "fiscal_year"], name="programs_rollup_province"),
            # Program page: WHERE program_id = %s.
            models.Index(fields=["program"], name="programs_rollup_program"),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.province_id}/{self.regency_id}/{self.program_id}"


class RealizationMonthly(models.Model):
    """Realized money per province, regency, program and month, from the same rollup run."""

    province = rollup_fk("core.Region")
    regency = rollup_fk("core.Region", null=True)
    program = rollup_fk("programs.Program")
    month = models.DateField()
    amount = models.BigIntegerField()

    class Meta:
        db_table = "programs_realizationmonthly"
        constraints = [
            models.UniqueConstraint(
                fields=["province", "regency", "program", "month"], name="programs_monthly_unique", nulls_distinct=False
            ),
        ]
        indexes = [
            # Realization per month on the province page: WHERE province_id = %s GROUP BY month.
            models.Index(fields=["province", "month"], name="programs_monthly_province"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.program_id}: {self.amount}"


class RollupRun(JobLiveness):
    """One run of the rollup: when, how long, how many rows, and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Dalam antrean")
        RUNNING = "running", _("Sedang berjalan")
        SUCCESS = "success", _("Berhasil")
        FAILED = "failed", _("Gagal")
        SKIPPED = "skipped", _("Dilewati (run lain sedang berjalan)")

    trigger = models.CharField(max_length=20)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=100, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the finished rollup holds: its as-of time is started_at.
    bucket_rows = models.IntegerField(default=0)
    monthly_rows = models.IntegerField(default=0)
    realization_rows = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    # Liveness (core.models.JobLiveness: owner, heartbeat_at, dispatched_at, attempts), and the
    # PostgreSQL backend holding the rollup lock for it: one lock serves every run.
    backend_pid = models.IntegerField(null=True, blank=True)
    # The beat firing that asked for this run ("beat:2026-12-02T01:00"); unique, so a second beat
    # started by mistake (or a redelivered message) cannot run the same night twice.
    slot = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Mode(models.TextChoices):
        FULL = "full", _("Penuh")
        INCREMENTAL = "incremental", _("Bertahap")

    # Full: everything from the raw rows (nightly), checking the incremental state on the way;
    # incremental: only the changes logged since the last run ("refresh now").
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.FULL)
    changes = models.IntegerField(default=0)  # change-log rows the run consumed
    # A full run: rows where the incrementally kept state differed from the full recomputation
    # (0 when every change was logged and applied). None for incremental runs.
    mismatches = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "programs_rolluprun"
        ordering = ["-queued_at", "-id"]
        indexes = [
            # "Data as of": the latest successful run.
            models.Index(fields=["status", "-finished_at"], name="programs_rolluprun_status"),
            # The status page's newest runs: a live run every few seconds in office hours adds
            # thousands of rows a day (issue 24).
            models.Index(fields=["-queued_at", "-id"], name="programs_rolluprun_queued"),
            # The reaper: runs still queued or running.
            models.Index(fields=["status"], name="programs_rolluprun_open",
                         condition=models.Q(status__in=["queued", "running"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.queued_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ApplicationRollup(models.Model):
    """Groups and beneficiaries per fiscal year × province × regency × program × state.

    Rebuilt by the nightly rollup in the same transaction as the budget totals."""

    fiscal_year = models.PositiveSmallIntegerField()
    province = rollup_fk("core.Region")
    regency = rollup_fk("core.Region")
    program = rollup_fk("programs.Program")
    state = models.CharField(max_length=15, choices=State.choices)
    groups = models.IntegerField()
    beneficiaries = models.BigIntegerField()

    class Meta:
        db_table = "recipients_applicationrollup"
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "province", "regency", "program", "state"],
                                    name="recipients_rollup_unique_bucket"),
        ]
        indexes = [
            # Province page funnel: WHERE province_id = %s.
            models.Index(fields=["province", "fiscal_year"], name="recipients_rollup_province"),
            # Program page: WHERE program_id = %s.
            models.Index(fields=["program"], name="recipients_rollup_program"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.regency_id} {self.state}: {self.groups}"


class RealizedCell(models.Model):
    """Realized money per allocation, regency reached and month: the one place the ten million
    realizations are summed. A full run rebuilds it from the raw rows; an incremental run adds
    the logged new realizations to it and recomputes exactly the allocations marked for it.
    The budget buckets and months are rebuilt from these few rows on every run."""

    allocation = rollup_fk("programs.Allocation")
    regency = rollup_fk("core.Region", null=True)
    month = models.DateField()
    amount = models.BigIntegerField()
    n = models.BigIntegerField()
    illustrative = models.BooleanField()

    class Meta:
        db_table = "reports_realizedcell"
        constraints = [
            # Also the ON CONFLICT target of the incremental run (NULL regency: the whole province).
            models.UniqueConstraint(fields=["allocation", "regency", "month"], name="reports_cell_unique",
                                    nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.regency_id} {self.month:%Y-%m}: {self.amount}"


class RollupChange(models.Model):
    """The change log of the incremental rollup, written by database triggers in the same
    transaction as the change (``reports/migrations/0004_incremental_rollup.py``), whoever the
    writer is: the services, an import, the admin, a fix by hand.

    - ``realized``: a new realization, as the cell it adds to (allocation, regency, month, amount);
    - ``recheck``: an allocation whose cells must be recomputed from its raw rows (a handover
      links a realization to a group's regency, an allocation's regency changed, a realization
      was altered);
    - ``applications``: +1/−1 group (and its members) in an application rollup cell;
    - ``full``: a change the log cannot express (a program's fiscal year): the next run is full.
    """

    kind = models.CharField(max_length=12)
    allocation_id = models.BigIntegerField(null=True)
    regency_id = models.BigIntegerField(null=True)
    month = models.DateField(null=True)
    amount = models.BigIntegerField(null=True)
    illustrative = models.BooleanField(null=True)
    fiscal_year = models.PositiveSmallIntegerField(null=True)
    province_id = models.BigIntegerField(null=True)
    program_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=15, null=True)
    groups = models.IntegerField(null=True)
    beneficiaries = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(db_default=models.functions.Now())

    class Meta:
        db_table = "reports_rollupchange"

    def __str__(self) -> str:
        return f"{self.kind} {self.allocation_id or self.program_id}"


class ReportSubscription(models.Model):
    """A staff member's monthly realization report by e-mail: the previous month's, for their
    province (or one OPD of it), sent by the worker on ``day`` of each month, in ``language``
    (``reports.subscriptions``). ``last_period`` is the month last sent: claiming it is what makes
    two beats send one mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    province = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("programs.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.PositiveSmallIntegerField(_("tanggal kirim"), default=5)
    language = models.CharField(_("bahasa"), max_length=5, default="id")
    created_at = models.DateTimeField(auto_now_add=True)
    last_period = models.DateField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "province", "agency"], nulls_distinct=False,
                                    name="reports_subscription_unique"),
            models.CheckConstraint(condition=models.Q(day__gte=1, day__lte=28), name="reports_subscription_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.province_id}/{self.agency_id} day {self.day}"


class Flag(models.Model):
    """A red flag and the case it opens: one pattern (``indicator``, a code of ``reports.flags``)
    found in one set of records (``key``, stable from run to run). Raised and closed only by the
    computation (``reports.flags.compute``); moved by an auditor (``reports.cases``), answered by
    the OPD. Its history is its ``events``. Person data is never stored here: the records are
    named by id in ``evidence`` and looked up, within the reader's scope, when shown."""

    class State(models.TextChoices):
        OPEN = "open", _("Terbuka")
        REVIEW = "review", _("Sedang diperiksa")
        EXPLAINED = "explained", _("Dijelaskan")
        REFERRED = "referred", _("Dirujuk")
        DISMISSED = "dismissed", _("Dikesampingkan")
        CLOSED = "closed", _("Ditutup: data berubah")

    indicator = models.CharField(_("indikator"), max_length=8)
    key = models.CharField(max_length=120)
    # The province counted in public figures (the lowest of ``provinces``); an auditor of any
    # province in ``provinces`` sees the case. ``agencies``: the OPDs that answer it.
    province = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    provinces = ArrayField(models.BigIntegerField(), default=list)
    agencies = ArrayField(models.BigIntegerField(), default=list)
    fiscal_year = models.PositiveSmallIntegerField(_("tahun anggaran"), null=True, blank=True)
    information = models.BooleanField(_("informasi saja"), default=False)
    evidence = models.JSONField(default=dict)  # {"groups": [ids], "applications": [...], ...}
    measure = models.JSONField(default=dict)  # what the rule compared, e.g. {"hours": 3.5}
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.OPEN)
    raised_at = models.DateTimeField(_("ditemukan"))
    seen_at = models.DateTimeField(_("terakhir ditemukan"))
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("temuan")
        verbose_name_plural = _("temuan")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "key"], name="reports_flag_unique_key"),
        ]
        indexes = [
            # An auditor's list and the public counts: WHERE province_id = %s [AND state = %s].
            models.Index(fields=["province", "state", "indicator"], name="reports_flag_province_state"),
            # A case that spans provinces is in each of their lists: WHERE provinces && ARRAY[%s].
            GinIndex(fields=["provinces"], name="reports_flag_provinces"),
            # An OPD officer's cases: WHERE agencies && ARRAY[%s].
            GinIndex(fields=["agencies"], name="reports_flag_agencies"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} #{self.pk}"


class FlagEvent(models.Model):
    """One step of a case: raised, reopened or closed by the computation (no actor), an OPD's
    answer, an auditor's decision. Append-only."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Ditemukan")
        REOPENED = "reopened", _("Ditemukan lagi")
        CLOSED = "closed", _("Ditutup karena data berubah")
        ANSWER = "answer", _("Jawaban OPD")
        DECISION = "decision", _("Keputusan auditor")

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    from_state = models.CharField(max_length=10, choices=Flag.State.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=Flag.State.choices)
    text = models.TextField(_("keterangan"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["flag", "created_at"], name="reports_flagevent_flag")]

    def __str__(self) -> str:
        return f"{self.flag_id} {self.kind} → {self.to_state}"


class FlagDocument(models.Model):
    """A document an OPD attaches to its answer (PDF, JPEG or PNG, checked like evidence)."""

    event = models.ForeignKey(FlagEvent, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="flags/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name
