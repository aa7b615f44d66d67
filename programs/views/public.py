"""Public pages: anonymous, GET only, reading only the rollup and published fields."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.models import Region
from programs.rollup import rollup_as_of
from programs.selectors import chart_series, province_report, rollup_years
from recipients.selectors import funnel


def _year(request) -> int | None:
    value = request.GET.get("tahun", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


@require_safe
def province_detail(request, code):
    province = get_object_or_404(Region.objects.provinces(), code=code)
    year = _year(request)
    report = province_report(province, year)
    charts = {
        "by_agency": chart_series(report["by_agency"]),
        "by_regency": chart_series(report["by_regency"]),
        "by_program": chart_series(report["by_program"]),
        "by_source": chart_series(report["by_source"], labels_key="funding_source__name",
                                  fields=("ceiling", "allocated", "realized")),
        "by_month": chart_series(report["by_month"], fields=("realized",)),
    }
    report["funnel"] = funnel(province=province, year=year)
    charts["funnel"] = {
        "labels": [r["label"] for r in report["funnel"]],
        "datasets": [{"key": "reached", "label": str(_("Kelompok")), "data": [r["reached"] for r in report["funnel"]]}],
    }
    for row in report["by_source"]:
        row["label"] = row["funding_source__name"]
    can_refresh = request.user.is_authenticated and request.user.is_provincial_officer and (
        request.user.province_id == province.pk
    )
    return render(
        request,
        "programs/province_detail.html",
        {
            "province": province,
            "year": year,
            "years": rollup_years(),
            "report": report,
            "charts": charts,
            "as_of": rollup_as_of(),
            "can_refresh": can_refresh,
        },
    )
