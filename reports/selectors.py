"""Reads for the public figures: every chart, card and table of the public pages, the
dashboards' absorption and the funnel read the rollup tables (``reports.models``), never the
raw rows, in a fixed number of queries whatever the data size."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.postgres.aggregates import BoolOr
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.models import Region
from core.search import document, query
from programs.models import Agency, BudgetCeiling, Indicator, Program
from recipients.models import State
from recipients.workflow import FUNNEL
from reports import publication
from reports.models import ApplicationRollup, BudgetRollup, RealizationMonthly


def _totals(rows):
    return rows.aggregate(
        ceiling=Coalesce(Sum("ceiling_amount"), 0),
        allocated=Coalesce(Sum("allocated_amount"), 0),
        realized=Coalesce(Sum("realized_amount"), 0),
        illustrative=Coalesce(BoolOr("is_illustrative"), False),
    )


def _grouped(rows, key: str, label: str, limit: int | None = None) -> list[dict]:
    data = (
        rows.filter(program__isnull=False)
        .values(key, label)
        .annotate(allocated=Sum("allocated_amount"), realized=Sum("realized_amount"),
                  illustrative=BoolOr("is_illustrative"))
        .order_by("-allocated", label)
    )
    if limit:
        data = data[:limit]
    return [{"key": r[key], "label": r[label], "allocated": r["allocated"], "realized": r["realized"],
             "illustrative": r["illustrative"]} for r in data]


def chart_series(rows: list[dict], *, labels_key: str = "label", fields=("allocated", "realized")) -> dict:
    """Plain dict for ``json_script`` and static/js/charts.js: labels plus one dataset per field."""
    names = {"ceiling": str(_("Pagu")), "allocated": str(_("Alokasi")), "realized": str(_("Realisasi"))}
    return {
        "labels": [str(r[labels_key]) for r in rows],
        "datasets": [{"key": f, "label": names.get(f, f), "data": [r[f] or 0 for r in rows]} for f in fields],
    }


def rollup_years() -> list[int]:
    return list(BudgetRollup.objects.values_list("fiscal_year", flat=True).distinct().order_by("-fiscal_year"))


def opd_absorption(agency_id: int) -> list[dict]:
    """An OPD's allocated and realized per fiscal year with absorption (*serapan*) in percent,
    from the rollup. One query."""
    rows = (BudgetRollup.objects.filter(agency_id=agency_id).values("fiscal_year")
            .annotate(allocated=Sum("allocated_amount"), realized=Sum("realized_amount")).order_by("-fiscal_year"))
    return [{**r, "percent": round(100 * r["realized"] / r["allocated"]) if r["allocated"] else 0} for r in rows]


def province_absorption(province_id: int) -> list[dict]:
    """Each OPD of a province: allocated and realized per fiscal year, absorption in percent,
    lowest absorption first (what the coordinator follows up). From the rollup; one query."""
    rows = (BudgetRollup.objects.filter(province_id=province_id, agency__isnull=False)
            .values("fiscal_year", "agency_id", "agency__short_name")
            .annotate(allocated=Sum("allocated_amount"), realized=Sum("realized_amount"))
            .filter(allocated__gt=0).order_by("-fiscal_year", "agency__short_name"))
    rows = [{**r, "percent": round(100 * r["realized"] / r["allocated"])} for r in rows]
    return sorted(rows, key=lambda r: (-r["fiscal_year"], r["percent"]))


def national_overview(year: int | None = None) -> dict:
    """Ceiling, allocated and realized for every one of the 38 provinces (zero where nothing
    is recorded yet), and the national totals. Two queries."""
    rows = BudgetRollup.objects.all()
    if year:
        rows = rows.filter(fiscal_year=year)
    sums = {r["province_id"]: r for r in _sums(rows.values("province_id"))}
    provinces = []
    for code, name, pk in Region.objects.provinces().order_by("code").values_list("code", "name", "pk"):
        s = sums.get(pk, {})
        provinces.append({
            "province__code": code, "province__name": name, "label": name,
            "ceiling": s.get("ceiling") or 0, "allocated": s.get("allocated") or 0, "realized": s.get("realized") or 0,
            "illustrative": bool(s.get("illustrative")),
        })
    totals = {key: sum(p[key] for p in provinces) for key in ("ceiling", "allocated", "realized")}
    totals["illustrative"] = any(s.get("illustrative") for s in sums.values())
    return {"provinces": provinces, "totals": totals}


def province_report(province, year: int | None = None) -> dict:
    """Everything the province page shows. Eight queries, independent of data size."""
    rows = BudgetRollup.objects.filter(province=province)
    monthly = RealizationMonthly.objects.filter(province=province)
    if year:
        rows = rows.filter(fiscal_year=year)
        monthly = monthly.filter(program__fiscal_year=year)
    by_source = list(
        rows.values("funding_source__name")
        .annotate(ceiling=Sum("ceiling_amount"), allocated=Sum("allocated_amount"), realized=Sum("realized_amount"))
        .order_by("-ceiling")
    )
    by_regency = _grouped(rows, "regency__code", "regency__name")
    for r in by_regency:
        r["label"] = r["label"] or str(_("Seluruh provinsi"))
    by_month = _every_month({m["month"]: m["realized"] for m in
                             monthly.values("month").annotate(realized=Sum("amount")).order_by("month")})
    return {
        "totals": _totals(rows),
        "by_agency": _grouped(rows, "agency__id", "agency__short_name"),
        "by_program": _grouped(rows, "program__id", "program__name", limit=15),
        "by_regency": by_regency,
        "by_source": by_source,
        "by_month": by_month,
        "indicators": list(
            Indicator.objects.filter(province=province).select_related("source").order_by("kind")
        ),
        "ceilings": province_ceilings(province, year),
    }


def province_ceilings(province, year: int | None = None) -> list:
    """Each ceiling (*pagu*) of the province with where its figure comes from (the article and
    its date, or "ilustrasi"), its note, and how many OPD share it. One query."""
    rows = BudgetCeiling.objects.filter(province=province).select_related("source", "funding_source")
    if year:
        rows = rows.filter(fiscal_year=year)
    return list(rows.annotate(opd_count=Count("allocations__program__agency", distinct=True))
                .order_by("-fiscal_year", "funding_source__code"))


def _every_month(amounts: dict, limit: int = 120) -> list[dict]:
    """Realized per month from the first to the last month with money, the months between
    included at zero, so a category axis is a true time axis (2019-01 and 2020-11 are not
    neighbours). At most ``limit`` months, the latest kept."""
    if not amounts:
        return []
    first, last = min(amounts), max(amounts)
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [{"label": m.strftime("%Y-%m"), "realized": amounts.get(m, 0)} for m in months[-limit:]]


def _sums(rows):
    return rows.annotate(
        ceiling=Sum("ceiling_amount"), allocated=Sum("allocated_amount"), realized=Sum("realized_amount"),
        illustrative=BoolOr("is_illustrative"),
    )


def regency_report(regency, year: int | None = None) -> dict:
    """Money earmarked for one kabupaten/kota, and money that reached it (handovers to its groups
    from province-wide allocations included), per program. Two queries."""
    rows = BudgetRollup.objects.filter(regency=regency)
    if year:
        rows = rows.filter(fiscal_year=year)
    programs = [
        {"key": r["program_id"], "label": r["program__name"], "agency": r["agency__short_name"],
         "year": r["fiscal_year"], "allocated": r["allocated"], "realized": r["realized"]}
        for r in _sums(rows.values("program_id", "program__name", "agency__short_name", "fiscal_year"))
        .order_by("-allocated")
    ]
    return {"totals": _totals(rows), "programs": programs}


def program_report(program) -> dict:
    """One program's money per funding source and per regency. Three queries."""
    rows = BudgetRollup.objects.filter(program=program)
    by_source = [
        {"label": r["funding_source__name"], "province": r["province__name"], "allocated": r["allocated"],
         "realized": r["realized"]}
        for r in _sums(rows.values("funding_source__name", "province__name")).order_by("province__name")
    ]
    by_regency = [
        {"label": r["regency__name"] or str(_("Seluruh provinsi")), "code": r["regency__code"],
         "province": r["province__name"], "allocated": r["allocated"], "realized": r["realized"]}
        for r in _sums(rows.values("regency__code", "regency__name", "province__name"))
        .order_by("province__name", "regency__code")
    ]
    return {"totals": _totals(rows), "by_source": by_source, "by_regency": by_regency}


def agency_report(agency) -> dict:
    """An OPD's totals and its programs with their rollup totals. Two queries."""
    rows = BudgetRollup.objects.filter(agency=agency)
    programs = [
        {"key": r["program_id"], "label": r["program__name"], "year": r["fiscal_year"], "allocated": r["allocated"],
         "realized": r["realized"], "illustrative": r["illustrative"]}
        for r in _sums(rows.values("program_id", "program__name", "fiscal_year")).order_by("-fiscal_year", "-allocated")
    ]
    return {"totals": _totals(rows), "programs": programs}


GROUPS_FOUND = 20


def public_search(q: str, limit: int = 50) -> dict:
    """Regions (by name or Kemendagri code), OPD and published programs (name, description,
    criteria) matching every word of ``q`` as a prefix, through the GIN-indexed full-text
    documents of ``core.search``. Three queries."""
    q = q.strip()
    tsquery = query(q) if len(q) >= 2 else None
    if tsquery is None:
        return {"regions": [], "programs": [], "agencies": [], "groups": []}
    regions = Region.objects.select_related("parent").annotate(doc=document("name"))
    if re.fullmatch(r"[0-9]{2}(\.[0-9]{0,2})?", q):
        regions = regions.filter(code__startswith=q)  # the code's own index (unique)
    else:
        regions = regions.filter(doc=tsquery)
    programs = (Program.objects.public().select_related("agency")
                .annotate(doc=document("name", "description", "criteria")).filter(doc=tsquery)
                .order_by("-fiscal_year", "name")[:limit])
    agencies = (Agency.objects.select_related("province").annotate(doc=document("name", "short_name"))
                .filter(doc=tsquery).order_by("province__code", "name")[:limit])
    # Aided IKM groups by a word of their published name (trigram index), newest first.
    groups = publication.public_rows(publication.aided_groups(q=q).order_by("-id")[:GROUPS_FOUND])
    return {"regions": list(regions.order_by("code")[:limit]), "programs": list(programs),
            "agencies": list(agencies), "groups": groups}


def funnel(province=None, program=None, regency=None, year: int | None = None) -> list[dict]:
    """Groups and beneficiaries per verification state from the rollup. One query."""
    rows = ApplicationRollup.objects.all()
    if province is not None:
        rows = rows.filter(province=province)
    if program is not None:
        rows = rows.filter(program=program)
    if regency is not None:
        rows = rows.filter(regency=regency)
    if year:
        rows = rows.filter(fiscal_year=year)
    by_state = {
        r["state"]: r
        for r in rows.values("state").annotate(groups_n=Sum("groups"), people=Sum("beneficiaries"))
    }
    order = [*FUNNEL, State.RETURNED, State.REJECTED]
    rows = [
        {
            "key": state,
            "label": str(State(state).label),
            "groups": by_state.get(state, {}).get("groups_n") or 0,
            "beneficiaries": by_state.get(state, {}).get("people") or 0,
        }
        for state in order
    ]
    # "Reached at least this step" along the main path: a delivered group passed every check.
    running = 0
    for row in reversed(rows[: len(FUNNEL)]):
        running += row["groups"]
        row["reached"] = running
    for row in rows[len(FUNNEL):]:
        row["reached"] = row["groups"]
    return rows


def groups_per_regency(program) -> list[dict]:
    """Counts only: groups per regency and state for one program, from the rollup. One query."""
    table: dict[str, dict] = {}
    for row in (
        ApplicationRollup.objects.filter(program=program)
        .values("regency__name", "state")
        .annotate(n=Sum("groups"))
        .order_by("regency__name")
    ):
        entry = table.setdefault(row["regency__name"], {"label": row["regency__name"], "total": 0})
        entry[row["state"]] = row["n"]
        entry["total"] += row["n"]
    return list(table.values())


# The columns of the money-flow diagram, left to right.
FLOW_COLUMNS = ("source", "province", "agency", "program", "regency")


def money_flow(province, year: int | None = None) -> dict:
    """Allocated money of one province as a Sankey (chartjs-chart-sankey): funding source →
    province → OPD → program → kabupaten/kota ("Seluruh provinsi" where the allocation is for
    the whole province). Every column sums to the province's allocated total, the figure on its
    card. From the rollup; one query."""
    rows = BudgetRollup.objects.filter(province=province, program__isnull=False, allocated_amount__gt=0)
    if year:
        rows = rows.filter(fiscal_year=year)
    rows = (rows.values("funding_source_id", "funding_source__name", "agency_id", "agency__short_name", "program_id",
                        "program__name", "regency__code", "regency__name")
            .annotate(allocated=Sum("allocated_amount")).order_by())
    return flow_links(rows, province)


def flow_links(rows, province) -> dict:
    """The Sankey's links (``from``, ``to``, ``flow``), node labels and columns from rows of
    (funding source, OPD, program, regency, allocated); also as rows for the table next to it."""
    labels, columns, flows = {}, {}, {}

    def node(column: str, key, label: str) -> str:
        name = f"{column}:{key}"
        labels[name], columns[name] = str(label), FLOW_COLUMNS.index(column)
        return name

    for r in rows:
        path = [
            node("source", r["funding_source_id"], r["funding_source__name"]),
            node("province", province.code, province.name),
            node("agency", r["agency_id"], r["agency__short_name"]),
            node("program", r["program_id"], r["program__name"]),
            node("regency", r["regency__code"] or "-", r["regency__name"] or _("Seluruh provinsi")),
        ]
        for pair in zip(path, path[1:], strict=False):
            flows[pair] = flows.get(pair, 0) + r["allocated"]
    links = [{"from": a, "to": b, "flow": amount} for (a, b), amount in flows.items()]
    links.sort(key=lambda link: (columns[link["from"]], -link["flow"], labels[link["from"]], labels[link["to"]]))
    return {
        "links": links, "labels": labels, "columns": columns,
        "rows": [{"from": labels[link["from"]], "to": labels[link["to"]], "column": columns[link["from"]],
                  "flow": link["flow"]} for link in links],
    }


def column_totals(flow: dict) -> list[int]:
    """What flows out of each column (and into the last): equal for every column when each
    rupiah is counted once."""
    out = [0] * len(FLOW_COLUMNS)
    for link in flow["links"]:
        out[flow["columns"][link["from"]]] += link["flow"]
    out[-1] = sum(link["flow"] for link in flow["links"] if flow["columns"][link["to"]] == len(FLOW_COLUMNS) - 1)
    return out


def region_map(province=None, year: int | None = None) -> list[dict]:
    """What the choropleth colours, for each of the 38 provinces — or each kabupaten/kota of
    ``province`` — zero where nothing is recorded: allocated and realized (the rollup, as the
    page's table sums them), absorption in percent (None where nothing is allocated), and the
    groups aided (applications approved or delivered, IKM groups and KPM families). Three queries."""
    money = BudgetRollup.objects.all()
    aided = ApplicationRollup.objects.filter(state__in=publication.PUBLIC_STATES)
    if province is None:
        regions, key = Region.objects.provinces(), "province_id"
    else:
        regions, key = Region.objects.regencies().filter(parent=province), "regency_id"
        money, aided = money.filter(province=province, program__isnull=False), aided.filter(province=province)
    if year:
        money, aided = money.filter(fiscal_year=year), aided.filter(fiscal_year=year)
    sums = {r[key]: r for r in money.values(key).annotate(allocated=Sum("allocated_amount"),
                                                          realized=Sum("realized_amount"))}
    groups = {r[key]: r["n"] for r in aided.values(key).annotate(n=Sum("groups"))}
    out = []
    for pk, code, name in regions.order_by("code").values_list("pk", "code", "name"):
        allocated = (sums.get(pk) or {}).get("allocated") or 0
        realized = (sums.get(pk) or {}).get("realized") or 0
        out.append({"code": code, "name": name, "allocated": allocated, "realized": realized,
                    "absorption": round(realized * 100 / allocated, 1) if allocated else None,
                    "groups": groups.get(pk) or 0})
    return out
