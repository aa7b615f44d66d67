"""Open data: the rollup as CSV, XLSX and JSON, with a metadata file.

Only rollup columns and published names; never personal data. One query per download.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from core.cache import canonical_query, public_page
from core.exports import csv_lines
from core.models import Region
from core.params import BadParameter, optional, parse_id, parse_region_code, parse_year
from core.spreadsheets import safe_cell, spreadsheet_response
from core.views import bad_request
from ledger import log as ledger_log
from programs.models import FundingSource, Program, SourceArticle
from recipients.models import Sector, VerificationStep
from reports import cases, publication
from reports.models import BudgetRollup
from reports.rollup import rollup_as_of


@dataclass(frozen=True)
class Field:
    """One column of the budget table, the same machine ``name`` in CSV, XLSX, JSON and the API
    (``reports.api.BudgetRollupSerializer`` is built from these), with titles in both languages
    and a Table Schema type for ``datapackage.json``."""

    name: str
    source: str  # ORM path on BudgetRollup
    type: str  # Table Schema type
    title_id: str
    title_en: str
    description: str
    constraints: dict = field(default_factory=dict)


FIELDS = [
    Field("fiscal_year", "fiscal_year", "integer", "Tahun anggaran", "Fiscal year", "",
          {"required": True, "minimum": 2000, "maximum": 2100}),
    Field("province_code", "province__code", "string", "Kode provinsi", "Province code",
          "Kode wilayah Kemendagri, dua digit / Kemendagri region code, two digits",
          {"required": True, "pattern": "[0-9]{2}"}),
    Field("province", "province__name", "string", "Provinsi", "Province", "", {"required": True}),
    Field("regency_code", "regency__code", "string", "Kode kabupaten/kota", "Regency code",
          "Kode Kemendagri (36.04); kosong = seluruh provinsi / Kemendagri code; empty = the whole province",
          {"pattern": "[0-9]{2}\\.[0-9]{2}"}),
    Field("regency", "regency__name", "string", "Kabupaten/kota", "Regency or city", ""),
    Field("agency_id", "agency_id", "integer", "ID OPD", "Agency id", "Lihat /opd/<id>/ / see /opd/<id>/"),
    Field("agency", "agency__name", "string", "OPD", "Agency",
          "Organisasi perangkat daerah; kosong pada baris pagu / empty on ceiling rows"),
    Field("program_id", "program_id", "integer", "ID program", "Program id", "Lihat /program/<id>/"),
    Field("program", "program__name", "string", "Program", "Program", ""),
    Field("program_kind", "program__kind", "string", "Jenis bantuan", "Kind of aid", "",
          {"enum": [value for value, _label in Program.Kind.choices]}),
    Field("funding_source", "funding_source__code", "string", "Sumber dana", "Funding source", "",
          {"required": True}),
    Field("ceiling_amount", "ceiling_amount", "integer", "Pagu (Rp)", "Ceiling (IDR)",
          "Rupiah bulat, hanya pada baris pagu / whole rupiah, ceiling rows only", {"required": True, "minimum": 0}),
    Field("allocated_amount", "allocated_amount", "integer", "Alokasi (Rp)", "Allocated (IDR)",
          "Rupiah bulat / whole rupiah", {"required": True, "minimum": 0}),
    Field("realized_amount", "realized_amount", "integer", "Realisasi (Rp)", "Realized (IDR)",
          "Rupiah bulat, setelah koreksi / whole rupiah, net of reversals", {"required": True}),
    Field("is_illustrative", "is_illustrative", "boolean", "Ilustrasi", "Illustrative",
          "true = sebagian angka baris ini data contoh, bukan dari artikel / true = part of this row is "
          "demo data, not from an article", {"required": True}),
]
COLUMNS = [(f.name, f.source, f"{f.title_id} / {f.title_en}") for f in FIELDS]


def _filters(request) -> dict:
    """The download's filters, parsed strictly: a bad value is a 400 that says which one."""
    try:
        return {
            "provinsi": optional(parse_region_code, request.GET.get("provinsi")),
            "program": optional(parse_id, request.GET.get("program")),
            "tahun": optional(parse_year, request.GET.get("tahun")),
        }
    except BadParameter as exc:
        raise BadDownloadFilter(str(exc))


class BadDownloadFilter(Exception):
    pass


def _rows(filters: dict):
    rows = BudgetRollup.objects.order_by("fiscal_year", "province__code", "regency__code", "program_id")
    if filters["provinsi"]:
        if not Region.objects.provinces().filter(code=filters["provinsi"]).exists():
            raise Http404
        rows = rows.filter(province__code=filters["provinsi"])
    if filters["program"]:
        rows = rows.filter(program_id=filters["program"])
    if filters["tahun"]:
        rows = rows.filter(fiscal_year=filters["tahun"])
    return rows.values_list(*[f.source for f in FIELDS])


def _filename(filters: dict) -> str:
    """Built only from parsed values (digits and dots), so nothing can break out of the header."""
    return "-".join(["anggaran-ikm"] + [str(filters[k]) for k in ("provinsi", "program", "tahun") if filters[k]])


# The download's filters (core.cache.public_page keys on these only).
PARAMS = {"provinsi": parse_region_code, "program": parse_id, "tahun": parse_year}


@public_page(params=PARAMS)
def index(request):
    return render(request, "reports/opendata.html", {
        "as_of": rollup_as_of(), "columns": COLUMNS, "query": canonical_query(request, PARAMS),
        "provinces": Region.objects.provinces().order_by("code"),
        "years": BudgetRollup.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct(),
    })


@public_page(params=PARAMS)
def download(request, fmt):
    if fmt not in ("csv", "xlsx", "json"):
        raise Http404
    try:
        filters = _filters(request)
    except BadDownloadFilter as exc:
        return bad_request(request, message=str(exc))
    header = [f.name for f in FIELDS]
    rows = [["" if v is None else v for v in row] for row in _rows(filters)]
    if fmt in ("csv", "xlsx"):
        return spreadsheet_response(fmt, header, rows, sheet="anggaran", filename=_filename(filters))
    as_of = rollup_as_of()
    payload = {"as_of": as_of.isoformat() if as_of else None, "units": "IDR (whole rupiah)",
               "rows": [dict(zip(header, row, strict=True)) for row in rows]}
    response = HttpResponse(json.dumps(payload, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(filters)}.json"'
    return response


def _table_schema(fields_of=None) -> dict:
    fields = []
    for f in fields_of or FIELDS:
        constraints = dict(f.constraints)
        if f.name == "funding_source":
            constraints["enum"] = list(FundingSource.objects.order_by("code").values_list("code", flat=True))
        entry = {"name": f.name, "type": f.type, "title": f"{f.title_id} / {f.title_en}",
                 "titles": {"id": f.title_id, "en": f.title_en}}
        if f.description:
            entry["description"] = f.description
        if constraints:
            entry["constraints"] = constraints
        fields.append(entry)
    return {"fields": fields, "missingValues": [""]}


def datapackage_descriptor(request) -> dict:
    """A Frictionless Tabular Data Package: the budget table with its schema (types, codes as
    strings, code lists as enums), licence, sources (the articles) and as-of time."""
    as_of = rollup_as_of()
    return {
        "profile": "tabular-data-package",
        "name": "ikm-relief-anggaran",
        "title": "Anggaran bantuan IKM terdampak Covid-19 / IKM Covid-19 relief budgets",
        "description": _("Rekap pagu, alokasi dan realisasi yang dicatat OPD, diperbarui sekitar satu menit setelah "
                         "setiap perubahan dan dihitung ulang penuh setiap malam (01.00 WIB); angka demo "
                         "bersumber dari artikel berita yang dikutip pada tiap halaman program."),
        "homepage": request.build_absolute_uri("/"),
        "version": as_of.strftime("%Y%m%d.%H%M%S") if as_of else "0",
        "created": as_of.isoformat() if as_of else None,
        "as_of": as_of.isoformat() if as_of else None,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0"}],
        "sources": [{"title": f"{a.title} ({a.publisher}{', ' + a.published_on.isoformat() if a.published_on else ''})"}
                    for a in SourceArticle.objects.order_by("published_on", "key")],
        "resources": [{
            "name": "anggaran",
            "title": "Rekap anggaran per tahun, wilayah, OPD, program dan sumber dana",
            "path": "anggaran.csv",
            "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": _table_schema(),
        }, {
            "name": "kelompok-penerima",
            "title": "Kelompok IKM penerima bantuan / Aided IKM groups",
            "description": _("Kelompok IKM yang usulannya disetujui atau sudah menerima bantuan; tanpa data pribadi."),
            "path": "kelompok-penerima.csv",
            "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": _table_schema(AIDED_FIELDS),
        }, {
            "name": "temuan",
            "title": "Temuan (red flag) per provinsi dan indikator / Red flags by province and indicator",
            "description": _("Jumlah temuan yang ditemukan, terbuka, dijelaskan, dirujuk, dikesampingkan dan ditutup "
                             "per provinsi dan indikator; tanpa satu pun data pribadi atau catatan. Definisi: "
                             "/definisi/#temuan."),
            "path": "temuan.csv",
            "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": _table_schema(FLAG_FIELDS),
        }],
        "x_downloads": {fmt: request.build_absolute_uri(reverse("opendata:download", args=[fmt]))
                        for fmt in ("csv", "xlsx", "json")},
        "x_api": request.build_absolute_uri(reverse("api:api-root")),
        # The public ledger these figures' records are logged in, and the key to check it with.
        "x_ledger": {**{k: v for k, v in ledger_log.public_key().items() if k != "key_id"},
                     "checkpoint": request.build_absolute_uri(reverse("ledger:checkpoint")),
                     "download": request.build_absolute_uri(reverse("ledger:archive")),
                     "page": request.build_absolute_uri(reverse("ledger:index"))},
    }


# The red flags' public counts (``/integritas/``): per province and indicator, never a record.
FLAG_FIELDS = [
    Field("province_code", "province__code", "string", "Kode provinsi", "Province code", "",
          {"required": True, "pattern": "[0-9]{2}"}),
    Field("province", "province__name", "string", "Provinsi", "Province", "", {"required": True}),
    Field("indicator", "indicator", "string", "Kode indikator", "Indicator code", "Lihat /definisi/#R01 …",
          {"required": True, "pattern": "R[0-9]{2}"}),
    Field("indicator_title", "title", "string", "Indikator", "Indicator", ""),
    *[Field(name, name, "integer", title_id, title_en, "", {"required": True, "minimum": 0})
      for name, title_id, title_en in (
        ("raised", "Ditemukan", "Raised"), ("open", "Terbuka atau diperiksa", "Open or under review"),
        ("explained", "Dijelaskan", "Explained"), ("referred", "Dirujuk", "Referred"),
        ("dismissed", "Dikesampingkan", "Dismissed"), ("closed", "Ditutup: data berubah", "Closed: data changed"))],
]


@require_safe
@cache_control(public=True, max_age=60)
def flag_counts(request):
    """``temuan.csv``: the red flags' counts per province and indicator (``reports.cases``); a few
    hundred rows at most (38 provinces × 12 indicators), so written whole, not streamed."""
    rows = ([safe_cell(row[{"province_code": "province__code", "province": "province__name",
                             "indicator_title": "title"}.get(f.name, f.name)]) for f in FLAG_FIELDS]
            for row in cases.public_counts())
    response = HttpResponse("".join(csv_lines([f.name for f in FLAG_FIELDS], rows)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="temuan.csv"'
    return response


# The aided IKM groups (``/penerima/``) as a resource: published fields only, a row per approved
# or delivered application, the value handed over to the group so far.
AIDED_FIELDS = [
    Field("application_id", "id", "integer", "ID usulan", "Application id", "", {"required": True}),
    Field("fiscal_year", "program__fiscal_year", "integer", "Tahun anggaran", "Fiscal year", "", {"required": True}),
    Field("province_code", "group__regency__parent__code", "string", "Kode provinsi", "Province code", "",
          {"required": True, "pattern": "[0-9]{2}"}),
    Field("regency_code", "group__regency__code", "string", "Kode kabupaten/kota", "Regency code", "",
          {"required": True, "pattern": "[0-9]{2}\\.[0-9]{2}"}),
    Field("regency", "group__regency__name", "string", "Kabupaten/kota", "Regency or city", "", {"required": True}),
    Field("group", "group__name", "string", "Kelompok IKM", "IKM group",
          "Kosong bila provinsi tidak mempublikasikan nama / empty when the province withholds the name"),
    Field("name_withheld_reason", "group__name_withheld_reason", "string", "Alasan nama tidak dipublikasikan",
          "Why the name is withheld", ""),
    Field("sector", "group__sector", "string", "Sektor", "Sector", "", {"enum": list(Sector.values)}),
    Field("program_id", "program_id", "integer", "ID program", "Program id", "", {"required": True}),
    Field("program", "program__name", "string", "Program", "Program", "", {"required": True}),
    Field("agency", "program__agency__name", "string", "OPD", "Agency", "", {"required": True}),
    Field("state", "state", "string", "Tahap", "Stage", "", {"enum": ["approved", "delivered"]}),
    Field("sk_number", "sk_number", "string", "Nomor SK", "Decree number", ""),
    Field("handed_over_amount", "handed_over", "integer", "Diserahkan (Rp)", "Handed over (IDR)",
          "Rupiah bulat / whole rupiah", {"required": True, "minimum": 0}),
]


def _aided_rows(params):
    handed = (VerificationStep.objects.filter(application=OuterRef("pk"), handover_amount__isnull=False)
              .order_by().values("application").annotate(total=Sum("handover_amount")).values("total"))
    rows = (publication.aided_groups(**publication.aided_filters(params)).order_by("id")
            .annotate(handed_over=Coalesce(Subquery(handed), 0))
            .values_list(*[f.source for f in AIDED_FIELDS]))
    withheld = [f.name for f in AIDED_FIELDS].index("name_withheld_reason")
    name = [f.name for f in AIDED_FIELDS].index("group")
    for row in rows.iterator(chunk_size=2000):
        row = ["" if v is None else v for v in row]
        if row[withheld]:
            row[name] = ""  # a withheld name is never published, here as on the page
        yield [safe_cell(v) for v in row]


@require_safe
@cache_control(public=True, max_age=60)
def aided_groups(request):
    """``kelompok-penerima.csv``: the list ``/penerima/`` shows, with the same filters, streamed."""
    response = StreamingHttpResponse(csv_lines([f.name for f in AIDED_FIELDS], _aided_rows(request.GET)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kelompok-penerima.csv"'
    return response


@public_page(params={})
def datapackage(request):
    """``datapackage.json``, and ``metadata.json`` for links made before the Data Package."""
    return JsonResponse(datapackage_descriptor(request), json_dumps_params={"ensure_ascii": False, "indent": 1})
