"""The trail behind every public figure: one click from a ceiling, an allocation, a realization
or a group count to the records that make it up — read live, published fields only
(``reports.publication``) — with the figure's definition.

A trail is (figure, scope). The scope is the page the figure was on: a fiscal year, a
province, a regency, an OPD, a program, or one ceiling. Each figure's records are attributed
exactly as the rollup attributes them (``reports.rollup``), so the trail of a page's figure sums
to that figure (up to changes since the last rollup, which the page says).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.models import Region
from core.pagination import seek_page
from core.params import lenient, parse_id, parse_region_code, parse_year
from core.views_utils import paginate
from programs.models import Agency, Allocation, BudgetCeiling, Program, Realization
from recipients.models import VerificationStep
from reports import trail_keys
from reports.models import BudgetRollup
from reports.publication import PUBLIC_STATES


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    definition: str


# What each public figure means (DHIS2 publishes its data elements' definitions the same way).
FIGURES = {f.key: f for f in (
    Figure("pagu", _("Pagu"), _(
        "Batas anggaran yang ditetapkan untuk satu provinsi, satu tahun anggaran dan satu sumber dana "
        "(APBN, APBD provinsi, dekonsentrasi). Pagu dibagi ke program OPD sebagai alokasi; bagian yang belum "
        "dibagi tetap tercatat sebagai pagu.")),
    Figure("alokasi", _("Alokasi"), _(
        "Bagian pagu yang ditetapkan untuk satu program OPD, untuk seluruh provinsi atau untuk satu "
        "kabupaten/kota. Alokasi dapat direvisi (mis. refocusing anggaran 2020): setiap revisi tercatat dengan "
        "jumlah lama, jumlah baru, alasan dan tanggalnya.")),
    Figure("realisasi", _("Realisasi"), _(
        "Uang yang sudah dibayarkan atau barang yang sudah diserahkan dari suatu alokasi, dengan tanggal dan "
        "nomor SP2D atau berita acaranya. Realisasi yang keliru tidak dihapus: entri koreksi (negatif) "
        "membatalkannya. Serah terima kepada kelompok dihitung di kabupaten/kota kelompok itu, dari alokasi "
        "mana pun.")),
    Figure("kelompok", _("Kelompok penerima"), _(
        "Kelompok IKM dan keluarga penerima manfaat (KPM) yang diusulkan ke suatu program, dihitung per tahap "
        "verifikasi. Nama kelompok IKM dipublikasikan sejak usulannya disetujui dengan nomor SK; nama keluarga "
        "(KPM) dan data pribadi anggota tidak pernah dipublikasikan.")),
    Figure("serapan", _("Serapan anggaran"), _(
        "Realisasi dibagi alokasi, dalam persen: berapa bagian dari uang yang dialokasikan sudah sampai.")),
    Figure("sisa", _("Sisa"), _("Alokasi dikurangi realisasi: uang yang dialokasikan tetapi belum direalisasikan.")),
)}
TRAILS = ("pagu", "alokasi", "realisasi", "kelompok")


@dataclass(frozen=True)
class Scope:
    year: int | None = None
    province: Region | None = None
    regency: Region | None = None
    agency: Agency | None = None
    program: Program | None = None
    ceiling: BudgetCeiling | None = None
    # Parameters given that parse but name nothing public (a deleted program, a draft): the
    # trail is then empty, never silently everything.
    unmatched: tuple[str, ...] = ()

    def query(self) -> str:
        """The scope as the canonical query string of trail URLs (``?provinsi=36&tahun=2020``)."""
        params = QueryDict(mutable=True)
        for name, value in (
            ("tahun", self.year), ("provinsi", self.province and self.province.code),
            ("kabupaten", self.regency and self.regency.code), ("opd", self.agency and self.agency.pk),
            ("program", self.program and self.program.pk), ("pagu", self.ceiling and self.ceiling.pk),
        ):
            if value:
                params[name] = value
        return params.urlencode()

    def labels(self) -> list[str]:
        parts = [self.ceiling, self.program and self.program.name, self.agency and self.agency.short_name,
                 self.regency and self.regency.name, self.province and self.province.name,
                 self.year and str(_("Tahun %(year)s") % {"year": self.year})]
        return [str(p) for p in parts if p]


def scope_from(params) -> Scope:
    """The scope named by the query string; a value that does not parse or names nothing
    public is not applied (the page then says which scope it shows). At most one query per
    parameter given."""
    values = {name: lenient(parser, params.get(name)) for name, parser in PARAMETERS.items()}
    lookups = {
        "provinsi": lambda code: Region.objects.provinces().filter(code=code).first(),
        "kabupaten": lambda code: Region.objects.regencies().filter(code=code).first(),
        "opd": lambda pk: Agency.objects.filter(pk=pk).first(),
        "program": lambda pk: Program.objects.public().select_related("agency").filter(pk=pk).first(),
        "pagu": lambda pk: BudgetCeiling.objects.select_related("province", "funding_source").filter(pk=pk).first(),
    }
    found = {name: lookup(values[name]) if values[name] is not None else None for name, lookup in lookups.items()}
    return Scope(
        year=values["tahun"], province=found["provinsi"], regency=found["kabupaten"], agency=found["opd"],
        program=found["program"], ceiling=found["pagu"],
        unmatched=tuple(name for name, obj in found.items() if values[name] is not None and obj is None),
    )


# The scope's query parameters (the same names as the API's filters) and their parsers.
PARAMETERS = {"tahun": parse_year, "provinsi": parse_region_code, "kabupaten": parse_region_code,
              "opd": parse_id, "program": parse_id, "pagu": parse_id}


def _filter(rows, scope: Scope, *, year, province, agency=None, program=None, ceiling=None, regency=None):
    """Apply the scope with each model's own paths to the year, province, OPD, program and
    ceiling (a path of None: the model has no such link)."""
    conditions = ((year, scope.year), (province, scope.province), (agency, scope.agency),
                  (program, scope.program), (ceiling, scope.ceiling))
    rows = rows.filter(**{path: value for path, value in conditions if path and value})
    if scope.regency is not None and regency is not None:
        rows = rows.filter(regency if isinstance(regency, Q) else Q(**{regency: scope.regency}))
    return rows


def ceilings(scope: Scope):
    rows = BudgetCeiling.objects.select_related("province", "funding_source", "source")
    if scope.regency is not None or scope.agency is not None or scope.program is not None:
        return rows.none()  # a ceiling belongs to a whole province, never to a regency, OPD or program
    rows = _filter(rows, scope, year="fiscal_year", province="province")
    if scope.ceiling is not None:
        rows = rows.filter(pk=scope.ceiling.pk)  # the ceiling itself (``pk=`` takes no instance)
    return rows.order_by("-fiscal_year", "province__code", "funding_source__code", "id")


def allocations(scope: Scope):
    rows = (Allocation.objects.select_related("program__agency", "regency", "source")
            .prefetch_related("revisions").exclude(program__status=Program.Status.DRAFT))
    rows = _filter(rows, scope, year="ceiling__fiscal_year", province="ceiling__province",
                   agency="program__agency", program="program", ceiling="ceiling", regency="regency")
    return rows.order_by("program__agency__short_name", "program__name", "regency__code", "id")


def _reached(regency) -> Q:
    """Realizations the rollup counts toward ``regency``: a handover (or its reversal) where the
    group is, anything else where its allocation was made."""
    return (Q(handover__application__group__regency=regency)
            | Q(reverses__handover__application__group__regency=regency)
            | Q(handover__isnull=True, reverses__handover__isnull=True, allocation__regency=regency))


def realizations(scope: Scope):
    rows = (Realization.objects
            .select_related("allocation__program__agency", "allocation__regency", "allocation__source",
                            "handover__application__group__regency", "handover__application__program__agency",
                            "reverses__handover")
            .prefetch_related("allocation__revisions")
            .exclude(allocation__program__status=Program.Status.DRAFT))
    rows = _filter(rows, scope, year="allocation__ceiling__fiscal_year", province="allocation__ceiling__province",
                   agency="allocation__program__agency", program="allocation__program",
                   ceiling="allocation__ceiling", regency=_reached(scope.regency))
    return rows.order_by("-date", "-id")


def decisions(scope: Scope):
    """Approvals (SK number and date) and deliveries (handover date, items, amount): the steps
    from which a group is public. Newest first."""
    rows = (VerificationStep.objects.filter(to_state__in=PUBLIC_STATES)
            .exclude(application__program__status=Program.Status.DRAFT)
            .select_related("application__group__regency", "application__program__agency"))
    rows = _filter(rows, scope, year="application__program__fiscal_year",
                   province="application__group__province", agency="application__program__agency",
                   program="application__program", regency="application__group__regency")
    if scope.ceiling is not None:
        rows = rows.filter(application__program__allocations__ceiling=scope.ceiling).distinct()
    return rows.order_by("-created_at", "-id")


RECORDS = {"pagu": ceilings, "alokasi": allocations, "realisasi": realizations, "kelompok": decisions}
MODELS = {"pagu": BudgetCeiling, "alokasi": Allocation, "realisasi": Realization, "kelompok": VerificationStep}


def records(figure: str, scope: Scope):
    rows = RECORDS[figure](scope)
    return rows.none() if scope.unmatched else rows


# The long trails, paged by seek ("after"/"before" cursors) with a capped count: ten million
# realizations, a few million steps. Ceilings and allocations are a few thousand: page numbers.
SEEK_ORDERING = {"realisasi": ("-date", "-id"), "kelompok": ("-created_at", "-id")}


def page(request, figure: str, scope: Scope, rows, per_page: int | None = None):
    """One page of a trail's records: a ``SeekPage`` for the long trails, Django's page for the
    short ones. The realizations and decisions of a filtered scope are found by ``trail_keys``'
    fixed plans."""
    if figure not in SEEK_ORDERING:
        return paginate(request, rows, per_page)
    if trail_keys.is_needed(scope) and not scope.unmatched:
        keys, count = ((trail_keys.keys, trail_keys.count) if figure == "realisasi"
                       else (trail_keys.decision_keys, trail_keys.decision_count))
        return seek_page(request, rows, SEEK_ORDERING[figure], per_page, keys=keys(scope), count=count(scope))
    return seek_page(request, rows, SEEK_ORDERING[figure], per_page)


def summary(figure: str, scope: Scope, rows, page) -> dict:
    """The trail's own total (live) next to the page's figure for the same scope (rollup), and
    for allocations the split per OPD ("Rp20 miliar terbagi di 12 OPD"); for decisions the groups
    approved (the rollup's, as the page shows them) and the value handed over (live). One or two
    queries. Neither total is ever a SUM over millions of rows (``trail_keys``)."""
    if figure == "kelompok":
        empty = {"ikm": 0, "kpm": 0, "delivered": 0}
        return {"groups": empty if scope.unmatched else trail_keys.decision_totals(scope)}
    if figure == "realisasi":
        total = 0 if scope.unmatched else trail_keys.total(scope) if trail_keys.is_needed(scope) else (
            Allocation.objects.exclude(program__status=Program.Status.DRAFT)
            .aggregate(v=Coalesce(Sum("realized_total"), 0))["v"])
        live = {"total": total, "n": page.count}
    else:
        live = rows.order_by().aggregate(total=Coalesce(Sum("amount"), 0), n=Count("id"))
    out = {"total": live["total"], "count": live["n"], "count_capped": getattr(page, "count_capped", False),
           "rollup": _rollup_figure(figure, scope)}
    if figure == "alokasi":
        out["by_agency"] = list(
            rows.order_by().values("program__agency_id", "program__agency__short_name", "program__agency__name")
            .annotate(amount=Sum("amount"), programs=Count("program", distinct=True)).order_by("-amount"))
    return out


def _rollup_figure(figure: str, scope: Scope) -> int | None:
    """The same figure from the rollup, as the page that linked here shows it."""
    if scope.ceiling is not None or scope.unmatched:
        return None  # one ceiling is not a rollup slice; its trail is its own record
    rows = _filter(BudgetRollup.objects.all(), scope, year="fiscal_year", province="province", agency="agency",
                   program="program", regency="regency")
    column = {"pagu": "ceiling_amount", "alokasi": "allocated_amount", "realisasi": "realized_amount"}[figure]
    return rows.aggregate(v=Coalesce(Sum(column), 0))["v"]
