"""The reads behind the documents an office signs (``reports.documents``): the realization report
(*Laporan Realisasi Anggaran*) of a province, optionally one OPD or one program, for a month, a
quarter or the fiscal year; the handover record of a delivery; the attachment of an approval
decree. Figures come from the rollup the pages read (``BudgetRollup`` and its realized cells), so
a report equals its page for the same filters; the lists (revisions, reversals, groups) from the
records themselves. No NIK, phone or member is ever read here."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.aggregates import BoolOr
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs.models import AllocationRevision, Realization
from recipients.models import State, VerificationStep
from reports.models import BudgetRollup, RealizedCell

QUARTERS = ["I", "II", "III", "IV"]
# The period field's choices: the fiscal year, a quarter (tw1…tw4) or a month (1…12).
PERIOD_CHOICES = [("tahun", gettext_lazy("Satu tahun anggaran"))] + [
    (f"tw{n}", gettext_lazy("Triwulan %(n)s") % {"n": q}) for n, q in enumerate(QUARTERS, 1)] + [
    (str(n), MONTHS[n]) for n in range(1, 13)]


@dataclass(frozen=True)
class Period:
    """A month, a quarter or a fiscal year; ``first`` and ``last`` are the first days of its first
    and last month (the realized cells' ``month``)."""

    year: int
    kind: str     # "year", "quarter" or "month"
    number: int   # the quarter (1–4) or month (1–12); 0 for the year

    @classmethod
    def parse(cls, year: int, text: str) -> Period:
        text = (text or "tahun").strip()
        if text == "tahun":
            return cls(year, "year", 0)
        if text.startswith("tw") and text[2:] in ("1", "2", "3", "4"):
            return cls(year, "quarter", int(text[2:]))
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 12:
            return cls(year, "month", int(text))
        raise ValueError(text)

    @property
    def code(self) -> str:
        return {"year": "tahun", "quarter": f"tw{self.number}", "month": str(self.number)}[self.kind]

    @property
    def first(self) -> dt.date:
        month = {"year": 1, "quarter": 3 * self.number - 2, "month": self.number}[self.kind]
        return dt.date(self.year, month, 1)

    @property
    def last(self) -> dt.date:
        month = {"year": 12, "quarter": 3 * self.number, "month": self.number}[self.kind]
        return dt.date(self.year, month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.last.replace(day=calendar.monthrange(self.year, self.last.month)[1])

    @property
    def label(self) -> str:
        if self.kind == "year":
            return _("Tahun Anggaran %(year)s") % {"year": self.year}
        if self.kind == "quarter":
            return _("Triwulan %(n)s Tahun %(year)s") % {"n": QUARTERS[self.number - 1], "year": self.year}
        return f"{MONTHS[self.number]} {self.year}"

    @property
    def is_year(self) -> bool:
        return self.kind == "year"


def _scoped(rows, *, agency=None, program=None, prefix: str = ""):
    if program is not None:
        return rows.filter(**{f"{prefix}program": program})
    if agency is not None:
        return rows.filter(**{f"{prefix}program__agency": agency})
    return rows


def realization_statement(province, period: Period, *, agency=None, program=None) -> dict:
    """The report's table: per funding source and program, the allocation, the realization in the
    period and up to its end, absorption and what remains; the province's ceilings per funding
    source when the report is the whole province's. Four queries.

    For the fiscal year, "up to the end" is every realization of the year's allocations, as on the
    province page; for a month or a quarter, those dated up to the period's last month."""
    year = period.year
    buckets = BudgetRollup.objects.filter(province=province, fiscal_year=year)
    ceilings = {r["funding_source_id"]: r for r in buckets.filter(program__isnull=True).values(
        "funding_source_id").annotate(ceiling=Sum("ceiling_amount"), illustrative=BoolOr("is_illustrative"))}
    money = _scoped(buckets.filter(program__isnull=False), agency=agency, program=program).values(
        "funding_source_id", "funding_source__name", "program_id", "program__name", "agency__short_name",
    ).annotate(allocated=Sum("allocated_amount"), realized=Sum("realized_amount"),
               illustrative=BoolOr("is_illustrative")).order_by("funding_source__name", "agency__short_name",
                                                                 "program__name")
    cells = _scoped(RealizedCell.objects.filter(allocation__ceiling__province=province,
                                                allocation__ceiling__fiscal_year=year),
                    agency=agency, program=program, prefix="allocation__")
    if period.is_year:
        in_period = to_date = Sum("amount")
    else:
        to_date = Sum("amount", filter=Q(month__lte=period.last))
        in_period = Sum("amount", filter=Q(month__gte=period.first, month__lte=period.last))
    realized = {(r["allocation__ceiling__funding_source_id"], r["allocation__program_id"]): r for r in cells.values(
        "allocation__ceiling__funding_source_id", "allocation__program_id").annotate(
        in_period=Coalesce(in_period, 0), to_date=Coalesce(to_date, 0))}
    sources: dict[int, dict] = {}
    for r in money:
        cell = realized.get((r["funding_source_id"], r["program_id"]), {})
        source = sources.setdefault(r["funding_source_id"], {
            "name": r["funding_source__name"], "programs": [],
            "ceiling": ceilings.get(r["funding_source_id"], {}).get("ceiling", 0),
            "illustrative": bool(ceilings.get(r["funding_source_id"], {}).get("illustrative"))})
        source["programs"].append(_line({
            "program": r["program__name"], "agency": r["agency__short_name"], "allocated": r["allocated"],
            "in_period": cell.get("in_period", 0), "to_date": cell.get("to_date", 0),
            "illustrative": r["illustrative"]}))
    whole_province = agency is None and program is None
    if whole_province:  # a ceiling nothing is allocated from yet is a line of its own
        names = dict(buckets.filter(program__isnull=True).values_list("funding_source_id", "funding_source__name"))
        for source_id, c in ceilings.items():
            sources.setdefault(source_id, {"name": names.get(source_id, ""), "programs": [], "ceiling": c["ceiling"],
                                           "illustrative": bool(c["illustrative"])})
    for source in sources.values():
        source["agencies"] = len({p["agency"] for p in source["programs"]})
        source.update(_line({key: sum(p[key] for p in source["programs"])
                             for key in ("allocated", "in_period", "to_date")}))
        source["illustrative"] = source["illustrative"] or any(p["illustrative"] for p in source["programs"])
    listed = sorted(sources.values(), key=lambda s: (-s["ceiling"], s["name"]))
    totals = _line({key: sum(s[key] for s in listed) for key in ("allocated", "in_period", "to_date")})
    totals["ceiling"] = sum(s["ceiling"] for s in listed) if whole_province else None
    totals["illustrative"] = any(s["illustrative"] for s in listed)
    return {"sources": listed, "totals": totals, "with_ceiling": whole_province,
            "programs": sum(len(s["programs"]) for s in listed),
            "agencies": len({p["agency"] for s in listed for p in s["programs"]})}


def _line(row: dict) -> dict:
    allocated, to_date = row["allocated"] or 0, row["to_date"] or 0
    row["absorption"] = 100 * to_date / allocated if allocated else None
    row["remaining"] = allocated - to_date
    return row


def period_revisions(province, period: Period, *, agency=None, program=None):
    """Allocation revisions of the scope made in the period (for the year: every revision of the
    year's allocations), oldest first."""
    rows = _scoped(AllocationRevision.objects.filter(allocation__ceiling__province=province,
                                                     allocation__ceiling__fiscal_year=period.year),
                   agency=agency, program=program, prefix="allocation__")
    if not period.is_year:
        rows = rows.filter(created_at__date__gte=period.first, created_at__date__lte=period.last_day)
    return rows.select_related("allocation__program__agency", "allocation__regency").order_by("created_at", "pk")


def period_reversals(province, period: Period, *, agency=None, program=None):
    """Reversal entries of the scope dated in the period (for the year: all of the year's)."""
    rows = _scoped(Realization.objects.filter(allocation__ceiling__province=province,
                                              allocation__ceiling__fiscal_year=period.year, reverses__isnull=False),
                   agency=agency, program=program, prefix="allocation__")
    if not period.is_year:
        rows = rows.filter(date__gte=period.first, date__lte=period.last_day)
    return rows.select_related("allocation__program__agency", "reverses__handover",
                               "handover").order_by("date", "pk")


def decree_groups(applications, sk_number: str):
    """The groups approved under one decree (SK) number, in ``applications`` (the reader's scope):
    program, group's public name, regency and the program's amount per group. Never a NIK."""
    return (applications.filter(sk_number=sk_number, state__in=(State.APPROVED, State.DELIVERED))
            .annotate(handed_over=Sum("steps__handover_amount", filter=Q(steps__to_state=State.DELIVERED)))
            .select_related("group__regency", "program__agency").order_by("group__regency__code", "group__name", "pk"))


def handover_step(steps, pk: int):
    """One delivery (the step into "delivered") with its application, group, program, realization
    and evidence, from ``steps`` (the reader's scope)."""
    return (steps.filter(pk=pk, to_state=State.DELIVERED)
            .select_related("application__group__regency", "application__program__agency__province",
                            "realization", "actor")
            .prefetch_related("evidence").first())


def handover_number(step: VerificationStep) -> str:
    """The record's number: its place among the program's deliveries, the program and the year
    ("BAST-0007/P12/2020"); the same on every print."""
    program = step.application.program
    place = VerificationStep.objects.filter(to_state=State.DELIVERED, application__program=program,
                                            pk__lte=step.pk).count()
    return f"BAST-{place:04d}/P{program.pk}/{program.fiscal_year}"


__all__ = ["PERIOD_CHOICES", "Period", "decree_groups", "handover_number", "handover_step",
           "period_reversals", "period_revisions", "realization_statement"]
