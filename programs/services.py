"""Every write to budgets goes through here: views, the admin, imports, commands, the API.

Each service is keyword-only, atomic, locks the rows whose totals it checks, and raises
``ValidationError`` (field → Indonesian message) or ``PermissionDenied`` before anything is
written. Lock order is always ceiling → allocation, so two services never wait on each
other in a cycle.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import StaleEdit
from core.models import Region
from core.money import rupiah
from ledger import entries as ledger
from programs.models import (
    Agency,
    Allocation,
    AllocationRevision,
    BudgetCeiling,
    FundingSource,
    Program,
    Realization,
    SourceArticle,
)
from programs.policy import acts_for_agency, acts_for_program, can_set_budget


class DuplicateSubmission(Exception):
    """The same form was submitted twice (a double click); ``existing`` is the first record."""

    def __init__(self, existing):
        super().__init__(existing)
        self.existing = existing


def _check_submission(model, submission_id) -> None:
    """Call after taking the lock that serialises writers, so the first submit is visible."""
    if submission_id is not None:
        existing = model.objects.filter(submission_id=submission_id).first()
        if existing is not None:
            raise DuplicateSubmission(existing)


def _ensure(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Anda tidak berwenang mengubah anggaran ini."))


def _check_amount(value, field: str = "amount", *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: _("Jumlah harus berupa bilangan bulat rupiah.")})
    if value < 0 or (positive and value == 0):
        raise ValidationError(
            {field: _("Jumlah harus lebih dari nol.") if positive else _("Jumlah tidak boleh negatif.")}
        )
    return value


def _check_version(obj, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise StaleEdit(
            _(
                "Data ini sudah diubah orang lain sejak formulir dibuka. Isian Anda masih ada di bawah; "
                "periksa angka terbaru lalu simpan lagi."
            ),
            code="stale",
        )


def _history(actor, **extra):
    return pghistory.context(user=actor.pk if actor else None, **extra)


# --- Agencies and programs -----------------------------------------------------------------


@transaction.atomic
def agency_create(
    *,
    name: str,
    short_name: str,
    kind: str,
    level: str,
    province: Region | None = None,
    regency: Region | None = None,
    actor=None,
    source: SourceArticle | None = None,
    is_illustrative: bool = False,
) -> Agency:
    if level != Agency.Level.NATIONAL:
        _ensure(can_set_budget(actor, province.pk if province else None))
    agency = Agency(
        name=name,
        short_name=short_name,
        kind=kind,
        level=level,
        province=province,
        regency=regency,
        source=source,
        is_illustrative=is_illustrative,
    )
    agency.full_clean()
    with _history(actor):
        agency.save()
    return agency


@transaction.atomic
def program_save(*, program: Program, actor=None) -> Program:
    """Create or update a program of the actor's own OPD."""
    _ensure(acts_for_program(actor, program))
    program.criteria = [c.strip() for c in program.criteria if c and c.strip()]
    program.full_clean()
    with _history(actor):
        program.save()
    return program


# --- Ceilings ------------------------------------------------------------------------------


@transaction.atomic
def ceiling_create(
    *,
    province: Region,
    fiscal_year: int,
    funding_source: FundingSource,
    amount: int,
    actor=None,
    note: str = "",
    source: SourceArticle | None = None,
    is_illustrative: bool = False,
    submission_id=None,
) -> BudgetCeiling:
    """Set a province's ceiling for a year and funding source; one per bucket."""
    _ensure(can_set_budget(actor, province.pk))
    _check_submission(BudgetCeiling, submission_id)
    ceiling = BudgetCeiling(
        province=province,
        fiscal_year=fiscal_year,
        funding_source=funding_source,
        amount=_check_amount(amount),
        note=note,
        created_by=actor,
        source=source,
        is_illustrative=is_illustrative,
        submission_id=submission_id,
    )
    existing = BudgetCeiling.objects.filter(
        province=province, fiscal_year=fiscal_year, funding_source=funding_source
    ).first()
    if existing is not None:
        raise ValidationError(
            _("Pagu %(source)s %(year)s untuk %(province)s sudah ada (%(amount)s). Ubah pagu tersebut.")
            % {"source": funding_source, "year": fiscal_year, "province": province, "amount": rupiah(existing.amount)}
        )
    ceiling.full_clean(validate_unique=False)
    try:
        with transaction.atomic(), _history(actor):
            ceiling.save()
            ledger.record(ledger.CEILING_SET, ceiling, actor)
    except IntegrityError:
        # A concurrent submit of the same form, or of the same bucket, won the race.
        _check_submission(BudgetCeiling, submission_id)
        raise ValidationError(_("Pagu ini baru saja dibuat orang lain. Muat ulang halaman.")) from None
    return ceiling


@transaction.atomic
def ceiling_update(
    *, ceiling: BudgetCeiling, amount: int, note: str, actor=None, expected_version: int | None = None
) -> BudgetCeiling:
    """Change a ceiling's amount; never below what is already allocated from it."""
    ceiling = BudgetCeiling.objects.select_for_update().get(pk=ceiling.pk)
    _ensure(can_set_budget(actor, ceiling.province_id))
    _check_version(ceiling, expected_version)
    amount = _check_amount(amount)
    if amount < ceiling.allocated_total:
        raise ValidationError(
            {
                "amount": _("Pagu tidak boleh lebih kecil dari total alokasi yang sudah ada (%(allocated)s).")
                % {"allocated": rupiah(ceiling.allocated_total)}
            }
        )
    ceiling.amount, ceiling.note, ceiling.version = amount, note, ceiling.version + 1
    with _history(actor):
        ceiling.save(update_fields=["amount", "note", "version", "updated_at"])
        ledger.record(ledger.CEILING_CHANGED, ceiling, actor)
    return ceiling


# --- Allocations ---------------------------------------------------------------------------


def _check_allocation_target(ceiling: BudgetCeiling, program: Program, regency: Region | None) -> None:
    errors = {}
    if program.agency.province_id not in (None, ceiling.province_id):
        errors["program"] = _("Program ini milik OPD di provinsi lain.")
    if program.fiscal_year != ceiling.fiscal_year:
        errors["program"] = _("Tahun anggaran program (%(program)s) berbeda dengan tahun pagu (%(ceiling)s).") % {
            "program": program.fiscal_year,
            "ceiling": ceiling.fiscal_year,
        }
    if regency is not None and regency.parent_id != ceiling.province_id:
        errors["regency"] = _("Kabupaten/kota ini tidak berada di provinsi pagu.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def allocation_create(
    *,
    ceiling: BudgetCeiling,
    program: Program,
    amount: int,
    actor=None,
    regency: Region | None = None,
    note: str = "",
    source: SourceArticle | None = None,
    is_illustrative: bool = False,
    submission_id=None,
) -> Allocation:
    """Allocate part of a ceiling to a program. Locks the ceiling: one writer at a time.

    Cost: 4 queries (lock, duplicate check, insert, total update).
    """
    ceiling = BudgetCeiling.objects.select_for_update().get(pk=ceiling.pk)
    _ensure(can_set_budget(actor, ceiling.province_id))
    _check_submission(Allocation, submission_id)
    amount = _check_amount(amount)
    _check_allocation_target(ceiling, program, regency)
    if Allocation.objects.filter(ceiling=ceiling, program=program, regency=regency).exists():
        raise ValidationError(
            _("Program ini sudah punya alokasi dari pagu yang sama. Revisi alokasi tersebut, jangan membuat yang baru.")
        )
    if amount > ceiling.headroom:
        raise ValidationError(
            {
                "amount": _("Melebihi sisa pagu: sisa %(headroom)s dari pagu %(ceiling)s.")
                % {"headroom": rupiah(ceiling.headroom), "ceiling": rupiah(ceiling.amount)}
            }
        )
    allocation = Allocation(
        ceiling=ceiling,
        program=program,
        regency=regency,
        amount=amount,
        note=note,
        created_by=actor,
        source=source,
        is_illustrative=is_illustrative,
        submission_id=submission_id,
    )
    with _history(actor):
        allocation.save()
        BudgetCeiling.objects.filter(pk=ceiling.pk).update(
            allocated_total=F("allocated_total") + amount, version=F("version") + 1
        )
        ledger.record(ledger.ALLOCATION_MADE, allocation, actor)
    return allocation


@transaction.atomic
def allocation_revise(
    *, allocation: Allocation, new_amount: int, reason: str, actor=None, expected_version: int | None = None
) -> AllocationRevision:
    """Change an allocated amount with a reason, keeping both ceiling and realizations in bounds."""
    ceiling = BudgetCeiling.objects.select_for_update().get(pk=allocation.ceiling_id)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    _ensure(can_set_budget(actor, ceiling.province_id))
    _check_version(allocation, expected_version)
    new_amount = _check_amount(new_amount, "new_amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Alasan revisi wajib diisi, mis. “refocusing anggaran 2020”.")})
    if new_amount == allocation.amount:
        raise ValidationError({"new_amount": _("Jumlah baru sama dengan jumlah sekarang.")})
    if new_amount < allocation.realized_total:
        raise ValidationError(
            {
                "new_amount": _("Tidak boleh lebih kecil dari realisasi yang sudah tercatat (%(realized)s).")
                % {"realized": rupiah(allocation.realized_total)}
            }
        )
    delta = new_amount - allocation.amount
    if delta > ceiling.headroom:
        raise ValidationError(
            {
                "new_amount": _("Melebihi sisa pagu: tambahan maksimal %(headroom)s.")
                % {"headroom": rupiah(ceiling.headroom)}
            }
        )
    revision = AllocationRevision(
        allocation=allocation, old_amount=allocation.amount, new_amount=new_amount, reason=reason, actor=actor
    )
    with _history(actor, reason=reason):
        revision.save()
        allocation.amount, allocation.version = new_amount, allocation.version + 1
        allocation.save(update_fields=["amount", "version", "updated_at"])
        BudgetCeiling.objects.filter(pk=ceiling.pk).update(
            allocated_total=F("allocated_total") + delta, version=F("version") + 1
        )
        ledger.record(ledger.ALLOCATION_REVISED, revision, actor, also={"allocation": allocation.pk})
    return revision


# --- Realizations --------------------------------------------------------------------------


@transaction.atomic
def realization_create(
    *, allocation: Allocation, date: dt.date, amount: int, description: str, actor=None, submission_id=None,
    document_number: str = "", is_illustrative: bool = False, logged: bool = True,
) -> Realization:
    """Record money spent against an allocation, dated inside its fiscal year and not in the
    future. Locks the allocation row. Cost: 4 queries (ceiling lookup, lock, insert, total update).
    ``logged=False``: the caller puts it in the public ledger itself, once it is complete (a
    handover's realization, published under the handover's public wording, not the group's name).
    """
    province_id, fiscal_year, agency_id, agency_level = Allocation.objects.filter(pk=allocation.pk).values_list(
        "ceiling__province_id", "ceiling__fiscal_year", "program__agency_id", "program__agency__level").get()
    _ensure(acts_for_agency(actor, agency_id, agency_level, province_id))
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    _check_submission(Realization, submission_id)
    amount = _check_amount(amount, positive=True)
    if date > timezone.localdate():
        raise ValidationError({"date": _("Tanggal realisasi tidak boleh di masa depan.")})
    if date.year != fiscal_year:
        raise ValidationError({"date": _("Tanggal realisasi harus di dalam tahun anggaran %(year)s alokasi ini "
                                         "(1 Januari – 31 Desember %(year)s).") % {"year": fiscal_year}})
    if amount > allocation.headroom:
        raise ValidationError(
            {
                "amount": _("Melebihi sisa alokasi: sisa %(headroom)s dari alokasi %(allocated)s.")
                % {"headroom": rupiah(allocation.headroom), "allocated": rupiah(allocation.amount)}
            }
        )
    realization = Realization(
        allocation=allocation,
        date=date,
        amount=amount,
        description=description.strip(),
        document_number=(document_number or "").strip(),
        created_by=actor,
        submission_id=submission_id,
        is_illustrative=is_illustrative,
    )
    realization.full_clean(exclude=["allocation"])
    with _history(actor):
        realization.save()
        Allocation.objects.filter(pk=allocation.pk).update(realized_total=F("realized_total") + amount)
        if logged:
            ledger.record(ledger.REALIZATION_RECORDED, realization, actor)
    return realization


@transaction.atomic
def realization_reverse(*, realization: Realization, reason: str, actor=None, submission_id=None) -> Realization:
    """Cancel a wrong realization with a reversal entry: the same amount, negative, on the same
    date (so month and year totals are corrected where the error was), the reason in its
    description. Never an edit or a delete; a realization is reversed at most once.

    Locks the allocation, then the realization. Cost: 6 queries.
    """
    province_id, agency_id, agency_level = Allocation.objects.filter(pk=realization.allocation_id).values_list(
        "ceiling__province_id", "program__agency_id", "program__agency__level").get()
    _ensure(acts_for_agency(actor, agency_id, agency_level, province_id))
    allocation = Allocation.objects.select_for_update().get(pk=realization.allocation_id)
    original = Realization.objects.select_for_update().get(pk=realization.pk)
    _check_submission(Realization, submission_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tuliskan alasan koreksi.")})
    if original.reverses_id is not None:
        raise ValidationError(_("Ini sudah entri koreksi; catat realisasi baru bila perlu."))
    if Realization.objects.filter(reverses=original).exists():
        raise ValidationError(_("Realisasi ini sudah dikoreksi."))
    reversal = Realization(
        allocation=allocation, date=original.date, amount=-original.amount, reverses=original,
        description=(_("Koreksi atas “%(what)s”: %(reason)s") % {"what": original.description, "reason": reason})[:300],
        document_number=original.document_number, created_by=actor, submission_id=submission_id,
        is_illustrative=original.is_illustrative,
    )
    reversal.full_clean(exclude=["allocation", "reverses"])
    with _history(actor, reason=reason):
        reversal.save()
        Allocation.objects.filter(pk=allocation.pk).update(realized_total=F("realized_total") - original.amount)
        ledger.record(ledger.REALIZATION_REVERSED, reversal, actor)
    return reversal
