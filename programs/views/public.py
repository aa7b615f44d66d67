"""Public pages: anonymous, GET only, cached, reading only the rollup and published fields
(program and agency names, kinds, criteria, sources). No personal data is ever read here."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.cache import public_page
from core.models import Region
from core.params import lenient, parse_year
from programs.models import Agency, Program
from programs.rollup import rollup_as_of
from programs.selectors import (
    agency_report,
    chart_series,
    national_overview,
    program_report,
    province_report,
    public_search,
    regency_report,
    rollup_years,
)
from recipients.selectors import funnel, groups_per_regency


def _year(request) -> int | None:
    return lenient(parse_year, request.GET.get("tahun"))


def _funnel_chart(rows) -> dict:
    return {"labels": [r["label"] for r in rows],
            "datasets": [{"key": "reached", "label": str(_("Kelompok")), "data": [r["reached"] for r in rows]}]}


@public_page
def national(request):
    year = _year(request)
    overview = national_overview(year)
    return render(request, "programs/national.html", {
        "overview": overview,
        "chart": chart_series(overview["provinces"], fields=("ceiling", "allocated", "realized")),
        "funnel": funnel(year=year),
        "year": year,
        "years": rollup_years(),
        "as_of": rollup_as_of(),
        "province_count": len(overview["provinces"]),
    })


@public_page
def province_detail(request, code):
    province = get_object_or_404(Region.objects.provinces(), code=code)
    year = _year(request)
    report = province_report(province, year)
    for row in report["by_source"]:
        row["label"] = row["funding_source__name"]
    report["funnel"] = funnel(province=province, year=year)
    charts = {
        "by_agency": chart_series(report["by_agency"]),
        "by_regency": chart_series(report["by_regency"]),
        "by_program": chart_series(report["by_program"]),
        "by_source": chart_series(report["by_source"], fields=("ceiling", "allocated", "realized")),
        "by_month": chart_series(report["by_month"], fields=("realized",)),
        "funnel": _funnel_chart(report["funnel"]),
    }
    can_refresh = request.user.is_authenticated and request.user.is_provincial and (
        request.user.province_id == province.pk
    )
    return render(request, "programs/province_detail.html", {
        "province": province, "year": year, "years": rollup_years(), "report": report, "charts": charts,
        "as_of": rollup_as_of(), "can_refresh": can_refresh,
        "regencies": province.children.order_by("code"),
    })


@public_page
def regency_detail(request, code):
    regency = get_object_or_404(Region.objects.regencies().select_related("parent"), code=code)
    year = _year(request)
    report = regency_report(regency, year)
    groups = funnel(regency=regency, year=year)
    return render(request, "programs/regency_detail.html", {
        "regency": regency, "report": report, "funnel": groups, "funnel_chart": _funnel_chart(groups),
        "chart": chart_series(report["programs"]), "year": year, "as_of": rollup_as_of(),
    })


@public_page
def program_detail(request, pk):
    program = get_object_or_404(Program.objects.public().select_related("agency__province", "source"), pk=pk)
    report = program_report(program)
    groups = funnel(program=program)
    return render(request, "programs/program_detail.html", {
        "program": program, "report": report, "funnel": groups, "funnel_chart": _funnel_chart(groups),
        "per_regency": groups_per_regency(program), "as_of": rollup_as_of(),
    })


@public_page
def agency_detail(request, pk):
    agency = get_object_or_404(Agency.objects.select_related("province", "source"), pk=pk)
    return render(request, "programs/agency_detail.html", {
        "agency": agency, "programs": agency_report(agency), "as_of": rollup_as_of(),
    })


@public_page
def search(request):
    q = request.GET.get("q", "")[:100]
    return render(request, "programs/search.html", {"q": q, "results": public_search(q)})
