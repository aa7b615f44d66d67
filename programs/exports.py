"""The budget tables staff download — ceilings, allocations, realizations — as their pages show
them: the same scope, filters and sort (``core.sorting``). Amounts are whole rupiah numbers."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exports import Table
from core.sorting import sort
from core.spreadsheets import safe_cell
from programs.filters import AllocationFilter, CeilingFilter, RealizationFilter
from programs.models import AllocationRevision
from programs.selectors import allocations_visible_to, ceilings_visible_to, realizations_visible_to

CHUNK = 2000

CEILING_SORT = {"tahun": ("fiscal_year",), "provinsi": ("province__name",), "sumber": ("funding_source__name",),
                "pagu": ("amount",), "teralokasi": ("allocated_total",), "sisa": (F("amount") - F("allocated_total"),)}
CEILING_ORDER = ("-fiscal_year", "province__name", "funding_source__name", "id")
ALLOCATION_SORT = {"tahun": ("ceiling__fiscal_year",), "opd": ("program__agency__name",),
                   "program": ("program__name",), "wilayah": ("ceiling__province__name", "regency__name"),
                   "sumber": ("ceiling__funding_source__name",), "alokasi": ("amount",),
                   "realisasi": ("realized_total",), "sisa": (F("amount") - F("realized_total"),)}
ALLOCATION_ORDER = ("-ceiling__fiscal_year", "program__agency__name", "program__name", "id")
# Realizations page by cursor over local columns (millions of rows): date or amount.
REALIZATION_SORT = {"tanggal": ("date",), "jumlah": ("amount",)}
REALIZATION_ORDER = ("-date", "-id")


def _request(user):
    return SimpleNamespace(user=user)


def ceilings(user, params):
    filterset = CeilingFilter(params, queryset=ceilings_visible_to(user), request=_request(user))
    return filterset, filterset.qs.order_by(*sort(params, CEILING_SORT, CEILING_ORDER).ordering)


def allocations(user, params):
    filterset = AllocationFilter(params, queryset=allocations_visible_to(user), request=_request(user))
    return filterset, filterset.qs.order_by(*sort(params, ALLOCATION_SORT, ALLOCATION_ORDER).ordering)


def realizations(user, params):
    filterset = RealizationFilter(params, queryset=realizations_visible_to(user), request=_request(user))
    return filterset, filterset.qs.order_by(*sort(params, REALIZATION_SORT, REALIZATION_ORDER).ordering)


def _ceiling_rows(user, qs, shown=None):
    for c in qs.iterator(chunk_size=CHUNK):
        yield [c.fiscal_year, c.province.code, c.province.name, c.funding_source.name, c.amount, c.allocated_total,
               c.amount - c.allocated_total]


def _revisions(allocation) -> str:
    """Each revision of an allocation, oldest first: ``2020-04-15: 1500000000 → 1275000000 (reason)``."""
    return "; ".join(f"{timezone.localdate(r.created_at).isoformat()}: {r.old_amount} → {r.new_amount} ({r.reason})"
                     for r in allocation.revisions.all())


def _allocation_rows(user, qs, shown=None):
    revisions = Prefetch("revisions", queryset=AllocationRevision.objects.order_by("created_at", "id"))
    for a in qs.prefetch_related(revisions).iterator(chunk_size=CHUNK):  # the revisions read per chunk
        where = a.regency or a.ceiling.province
        yield [safe_cell(v) for v in (
            a.ceiling.fiscal_year, a.program.agency.name, a.program.name, where.code, where.name,
            a.ceiling.funding_source.name, a.amount, a.realized_total, a.amount - a.realized_total,
            len(a.revisions.all()), _revisions(a))]


def _realization_rows(user, qs, shown=None):
    for r in qs.iterator(chunk_size=CHUNK):
        yield [safe_cell(v) for v in (
            r.date.isoformat(), r.allocation.ceiling.province.name, r.allocation.program.agency.name,
            r.allocation.program.name, r.description, r.document_number, r.amount,
            r.reverses_id or "")]


def _views_budget(user) -> bool:
    return user.has_perm("programs.view_budget")


CEILINGS = Table(slug="pagu", title=_("Pagu anggaran"), filtered=ceilings, rows=_ceiling_rows,
                 header=["tahun", "kode_provinsi", "provinsi", "sumber_dana", "pagu", "teralokasi", "sisa_pagu"],
                 allowed=_views_budget, list_url="programs:ceiling-list")
ALLOCATIONS = Table(slug="alokasi", title=_("Alokasi anggaran"), filtered=allocations, rows=_allocation_rows,
                    header=["tahun", "opd", "program", "kode_wilayah", "wilayah", "sumber_dana", "alokasi",
                            "realisasi", "sisa", "jumlah_revisi", "revisi"],
                    allowed=_views_budget, list_url="programs:allocation-list")
REALIZATIONS = Table(slug="realisasi", title=_("Realisasi anggaran"), filtered=realizations,
                     rows=_realization_rows,
                     header=["tanggal", "provinsi", "opd", "program", "uraian", "nomor_dokumen", "jumlah",
                             "koreksi_atas"],
                     allowed=_views_budget, list_url="programs:realization-list")
