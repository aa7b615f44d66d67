"""Open data: the rollup as CSV, XLSX and JSON, with a metadata file.

Only rollup columns and published names; never personal data. One query per download.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.cache import public_page
from core.models import Region
from core.params import BadParameter, optional, parse_id, parse_region_code, parse_year
from core.spreadsheets import spreadsheet_response
from core.views import bad_request
from reports.models import BudgetRollup
from reports.rollup import rollup_as_of

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
COLUMNS = [
    ("tahun_anggaran", "fiscal_year", "Tahun anggaran / fiscal year"),
    ("kode_provinsi", "province__code", "Kode provinsi Kemendagri / province code"),
    ("provinsi", "province__name", "Provinsi / province"),
    ("kode_kabupaten_kota", "regency__code",
     "Kode kabupaten/kota; kosong = seluruh provinsi / regency code, empty = whole province"),
    ("kabupaten_kota", "regency__name", "Kabupaten/kota / regency or city"),
    ("opd", "agency__name", "Organisasi perangkat daerah; kosong pada baris pagu / agency, empty on ceiling rows"),
    ("program_id", "program_id", "ID program (lihat /program/<id>/) / program id"),
    ("program", "program__name", "Program"),
    ("jenis_bantuan", "program__kind", "Jenis bantuan / kind of aid"),
    ("sumber_dana", "funding_source__code", "Sumber dana / funding source"),
    ("pagu_rp", "ceiling_amount",
     "Pagu, rupiah bulat (hanya pada baris pagu) / ceiling, whole rupiah (ceiling rows only)"),
    ("alokasi_rp", "allocated_amount", "Alokasi, rupiah bulat / allocated, whole rupiah"),
    ("realisasi_rp", "realized_amount", "Realisasi, rupiah bulat / realized, whole rupiah"),
]


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
    return rows.values_list(*[field for _, field, _ in COLUMNS])


def _filename(filters: dict) -> str:
    """Built only from parsed values (digits and dots), so nothing can break out of the header."""
    return "-".join(["anggaran-ikm"] + [str(filters[k]) for k in ("provinsi", "program", "tahun") if filters[k]])


@public_page
def index(request):
    return render(request, "reports/opendata.html", {
        "as_of": rollup_as_of(), "columns": COLUMNS, "query": request.GET.urlencode(),
        "provinces": Region.objects.provinces().order_by("code"),
    })


@public_page
def download(request, fmt):
    if fmt not in ("csv", "xlsx", "json"):
        raise Http404
    try:
        filters = _filters(request)
    except BadDownloadFilter as exc:
        return bad_request(request, message=str(exc))
    header = [name for name, _, _ in COLUMNS]
    rows = [["" if v is None else v for v in row] for row in _rows(filters)]
    if fmt in ("csv", "xlsx"):
        return spreadsheet_response(fmt, header, rows, sheet="anggaran", filename=_filename(filters))
    as_of = rollup_as_of()
    payload = {"as_of": as_of.isoformat() if as_of else None, "units": "IDR (whole rupiah)",
               "rows": [dict(zip(header, row, strict=True)) for row in rows]}
    response = HttpResponse(json.dumps(payload, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(filters)}.json"'
    return response


@public_page
def metadata(request):
    as_of = rollup_as_of()
    return JsonResponse({
        "title": "Anggaran bantuan IKM terdampak Covid-19 / IKM Covid-19 relief budgets",
        "publisher": "IKM Relief",
        "as_of": as_of.isoformat() if as_of else None,
        "units": "Rupiah (IDR), bilangan bulat / whole numbers",
        "licence": LICENCE,
        "source": _("Rekap malam (01.00 WIB) dari pagu, alokasi dan realisasi yang dicatat OPD; angka demo bersumber "
                    "dari artikel berita yang dikutip pada tiap halaman program."),
        "columns": [{"name": name, "description": description} for name, _, description in COLUMNS],
        "downloads": {fmt: request.build_absolute_uri(reverse("opendata:download", args=[fmt]))
                      for fmt in ("csv", "xlsx", "json")},
        "api": request.build_absolute_uri(reverse("api:schema")),
    }, json_dumps_params={"ensure_ascii": False})
