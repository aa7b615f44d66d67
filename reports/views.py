"""Public pages: anonymous, GET only, cached, reading only the rollup and published fields
(program and agency names, kinds, criteria, sources). No personal data is ever read here.
And the rollup's own staff page: its runs, and "refresh now"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.cache import live_public_page, public_page
from core.models import Region
from core.pagination import seek_page
from core.params import lenient, parse_region_code, parse_year
from ledger import log as ledger_log
from programs.models import Agency, Program
from recipients import exports
from recipients.models import VerificationStep
from recipients.selectors import applications_visible_to, exports_visible_to
from reports import cases, documents, flags, ledger_audit, policy, publication, subscriptions, trail
from reports.forms import RealizationReportForm, SubscriptionForm
from reports.models import RollupRun
from reports.rollup import request_rollup, rollup_as_of
from reports.selectors import (
    agency_report,
    chart_series,
    funnel,
    groups_per_regency,
    money_flow,
    national_overview,
    program_report,
    province_report,
    public_search,
    regency_report,
    region_map,
    rollup_years,
)

# The query parameters each cached page reads (core.cache.public_page keys on these only). A
# year that does not parse shows every year, so it shares the page without one.
YEAR = {"tahun": lambda text: lenient(parse_year, text)}


def search_text(text: str) -> str:
    """What the search reads of ``?q=``: single-spaced, at most 100 characters."""
    return " ".join(text.split())[:100]


def _year(request) -> int | None:
    return lenient(parse_year, request.GET.get("tahun"))


def _funnel_chart(rows) -> dict:
    return {"labels": [r["label"] for r in rows],
            "datasets": [{"key": "reached", "label": str(_("Kelompok")), "data": [r["reached"] for r in rows]}]}


def _map(rows: list[dict], page: str, year: int | None) -> dict:
    """The choropleth's data (``static/js/map.js``): the regions, each with the link to its page."""
    query = f"?tahun={year}" if year else ""
    for row in rows:
        row["url"] = reverse(page, args=[row["code"]]) + query
    return {"rows": rows, "missing": _("belum ada alokasi"), "legend": _("Keterangan warna peta"),
            "unavailable": _("Peta tidak dapat dimuat; lihat tabelnya."),
            "metrics": {"absorption": _("Serapan (%)"), "allocated": _("Alokasi"), "realized": _("Realisasi"),
                        "groups": _("Kelompok dan KPM dibantu")}}


@public_page(params=YEAR)
def national(request):
    year = _year(request)
    overview = national_overview(year)
    return render(request, "reports/national.html", {
        "overview": overview,
        "chart": chart_series(overview["provinces"], fields=("ceiling", "allocated", "realized")),
        "funnel": funnel(year=year),
        "year": year,
        "years": rollup_years(),
        "as_of": rollup_as_of(),
        "province_count": len(overview["provinces"]),
        "map": _map(region_map(year=year), "reports:province-detail", year),
    })


def _province_report(code: str, year: int | None):
    province = get_object_or_404(Region.objects.provinces(), code=code)
    report = province_report(province, year)
    for row in report["by_source"]:
        row["label"] = row["funding_source__name"]
    report["funnel"] = funnel(province=province, year=year)
    return province, report


@public_page(params=YEAR)
def province_detail(request, code):
    year = _year(request)
    province, report = _province_report(code, year)
    charts = {
        "by_agency": chart_series(report["by_agency"]),
        "by_regency": chart_series(report["by_regency"]),
        "by_program": chart_series(report["by_program"]),
        "by_source": chart_series(report["by_source"], fields=("ceiling", "allocated", "realized")),
        "by_month": chart_series(report["by_month"], fields=("realized",)),
        "funnel": _funnel_chart(report["funnel"]),
    }
    flow = money_flow(province, year)
    can_refresh = policy.may_refresh_rollup(request.user, province)
    return render(request, "reports/province_detail.html", {
        "province": province, "year": year, "years": rollup_years(), "report": report, "charts": charts,
        "as_of": rollup_as_of(), "can_refresh": can_refresh, "flow": flow,
        "flow_chart": {key: flow[key] for key in ("links", "labels", "columns")},
        "regencies": province.children.order_by("code"),
        "map": _map(region_map(province, year), "reports:regency-detail", year),
        "topo": f"maps/kabupaten-{province.code}.json",
    })


@public_page(params=YEAR)
def province_pdf(request, code):
    """The province page's figures as one PDF, for the same year (the page's tables; its charts
    as their data)."""
    year = _year(request)
    province, report = _province_report(code, year)
    sections = [
        {"key": "by-source", "title": _("Per sumber dana"), "label": _("Sumber dana"), "rows": report["by_source"],
         "ceiling": True},
        {"key": "by-agency", "title": _("Per OPD"), "label": _("OPD"), "rows": report["by_agency"]},
        {"key": "by-regency", "title": _("Per kabupaten/kota"), "label": _("Kabupaten/kota"),
         "rows": report["by_regency"]},
        {"key": "by-program", "title": _("Per program (15 terbesar)"), "label": _("Program"),
         "rows": report["by_program"]},
    ]
    content = documents.province_pdf({"province": province, "year": year, "report": report, "sections": sections})
    response = HttpResponse(content, content_type="application/pdf")
    name = f"ikmrelief-{province.code}{f'-{year}' if year else ''}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@public_page(params=YEAR)
def regency_detail(request, code):
    regency = get_object_or_404(Region.objects.regencies().select_related("parent"), code=code)
    year = _year(request)
    report = regency_report(regency, year)
    groups = funnel(regency=regency, year=year)
    return render(request, "reports/regency_detail.html", {
        "regency": regency, "report": report, "funnel": groups, "funnel_chart": _funnel_chart(groups),
        "chart": chart_series(report["programs"]), "year": year, "as_of": rollup_as_of(),
    })


@public_page(params={})
def program_detail(request, pk):
    program = get_object_or_404(Program.objects.public().select_related("agency__province", "source"), pk=pk)
    report = program_report(program)
    groups = funnel(program=program)
    return render(request, "reports/program_detail.html", {
        "program": program, "report": report, "funnel": groups, "funnel_chart": _funnel_chart(groups),
        "per_regency": groups_per_regency(program), "as_of": rollup_as_of(),
    })


@live_public_page
def aided_groups(request):
    """The IKM groups that received aid: name (unless the province withheld it, with its
    reason), regency, sector, program and amount, from their approval on. Never persons, never
    KPM families. Filtered by ``provinsi`` and ``program``; unknown values mean no filter.

    Read live, not from the rollup-keyed page cache: a name the province withholds is gone
    within the minute, not at the next rollup. Three queries (capped count, page, amounts)."""
    f = publication.aided_filters(request.GET)
    page = seek_page(request, publication.aided_groups(**f), ("-id",))
    page.object_list = publication.public_rows(page.object_list)
    return render(request, "reports/aided_groups.html", {
        "page": page, **f, "as_of": rollup_as_of(), "provinces": Region.objects.provinces().order_by("code"),
        "regencies": Region.objects.regencies().filter(parent=f["province"]).order_by("code") if f["province"] else [],
        "years": Program.objects.public().order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct(),
        "csv_query": publication.aided_query(f),
    })


@live_public_page
def figure_trail(request, figure):
    """What makes up a public figure: the ceilings, the allocations with their revisions, the
    realizations with their documents and handovers, or the approvals and deliveries, in the
    scope of the page it was on, with the figure's definition. Published fields only
    (``reports.publication``), read live like the list of aided groups: a withheld name is gone
    within the minute. A fixed number of queries (scope, count, page, revisions, totals)."""
    if figure not in trail.TRAILS:
        raise Http404
    scope = trail.scope_from(request.GET)
    rows = trail.records(figure, scope)
    page = trail.page(request, figure, scope, rows)
    summary = trail.summary(figure, scope, rows, page)
    objects = list(page.object_list)
    keys = [_ledger_key(figure, obj) for obj in objects]
    logged = ledger_log.latest_entries(keys)
    page.object_list = publication.published_rows(objects, rows.model)
    for row, key in zip(page.object_list, keys, strict=True):
        row["ledger_entry"], row["ledger_record"] = logged.get(key), key[1]
    return render(request, "reports/trail.html", {
        "figure": trail.FIGURES[figure], "scope": scope, "page": page, "summary": summary,
        "seek": figure in trail.SEEK_ORDERING,
        "trails": [trail.FIGURES[key] for key in trail.TRAILS], "as_of": rollup_as_of(),
        "ledger": {**ledger_log.public_key(), "prefix": reverse("ledger:index").rstrip("/")},
    })


def _ledger_key(figure: str, obj) -> tuple[str, int]:
    """The public-ledger record behind a trail row: the row itself, or for a decision the approved
    application (an approval) or the handover step."""
    if figure == "kelompok" and obj.to_state == "approved":
        return ("recipients.application", obj.application_id)
    return (obj._meta.label_lower, obj.pk)


@require_safe
@cache_control(public=True, max_age=3600)
def definitions(request):
    """What every public figure means, each with an anchor the pages link to; and each red-flag
    indicator with its threshold."""
    return render(request, "reports/definitions.html", {"figures": trail.FIGURES.values(), "trails": trail.TRAILS,
                                                        "indicators": flags.INDICATORS})


@live_public_page
def integrity(request):
    """The integrity of the money: per province and indicator, how many red flags were raised and
    where their cases stand. Counts only; read live (an auditor's decision shows within the
    minute). One query, and one for the provinces of the filter."""
    code = lenient(parse_region_code, request.GET.get("provinsi"))
    province = Region.objects.provinces().filter(code=code).first() if code else None
    rows = cases.public_counts(province)
    columns = ("raised", "open", "explained", "referred", "dismissed", "closed")
    totals = {c: sum(r[c] for r in rows) for c in columns}
    return render(request, "reports/integrity.html", {
        "rows": rows, "totals": totals, "province": province, "indicators": flags.INDICATORS,
        "provinces": Region.objects.provinces().order_by("code")})


@public_page(params={})
def agency_detail(request, pk):
    agency = get_object_or_404(Agency.objects.select_related("province", "source"), pk=pk)
    report = agency_report(agency)
    return render(request, "reports/agency_detail.html", {
        "agency": agency, "programs": report["programs"], "totals": report["totals"], "as_of": rollup_as_of(),
    })


@public_page(params={"q": search_text})
def search(request):
    q = search_text(request.GET.get("q", ""))
    return render(request, "reports/search.html", {"q": q, "results": public_search(q)})


# --- Rollup ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["POST"])
def rollup_refresh(request):
    """"Refresh now": queue one rollup run (one at a time) and show its progress."""
    if not policy.may_refresh_rollup(request.user):
        raise PermissionDenied
    run, queued = request_rollup(user=request.user)
    if queued:
        messages.success(request, _("Rekap dihitung ulang di latar belakang; halaman ini menampilkan kemajuannya."))
    else:
        messages.info(request, _("Rekap sedang dihitung; ditunggu sampai selesai, tidak diantrekan dua kali."))
    return redirect("reports:rollup-status")


@login_required
def rollup_status(request):
    if not request.user.has_perm("programs.view_budget"):
        raise PermissionDenied
    runs = RollupRun.objects.select_related("requested_by")[:20]
    busy = any(r.status in (RollupRun.Status.QUEUED, RollupRun.Status.RUNNING) for r in runs)
    return render(request, "reports/rollup_status.html", {
        "runs": runs, "busy": busy, "can_refresh": policy.may_refresh_rollup(request.user),
        "live_seconds": settings.LIVE_ROLLUP_SECONDS, "ledger_audit": ledger_audit.latest()})


# --- Documents an office signs ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_realization(request):
    """The realization report: chosen here, built by a worker (its progress on the job's page)."""
    if not policy.prints_realization(request.user):
        raise PermissionDenied
    form = RealizationReportForm(request.POST or None, user=request.user, years=rollup_years() or [timezone.now().year])
    if request.method == "POST" and form.is_valid():
        params = {**form.params(), "bahasa": get_language()}
        try:
            documents.realization_scope(request.user, params)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            job = exports.job_start(request.user, documents.REALIZATION_TABLE, "pdf", params)
            return redirect("recipients:export-detail", pk=job.pk)
    jobs = exports_visible_to(request.user).filter(table=documents.REALIZATION)[:5]
    return render(request, "reports/report_realization.html", {
        "form": form, "jobs": jobs, "subscriptions": subscriptions.of(request.user),
        "subscribe": SubscriptionForm(user=request.user), "signer": documents.signature(request.user)})


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def handover_record(request, pk):
    """The handover record of one delivery in the reader's scope."""
    steps = VerificationStep.objects.filter(application__in=applications_visible_to(request.user))
    content = documents.handover_pdf(request.user, steps, pk)
    if content is None:
        raise Http404
    return _pdf(content, f"berita-acara-serah-terima-{pk}")


@login_required
@require_safe
def decree_attachment(request):
    """The groups approved under one decree number (``?nomor=``), in the reader's scope."""
    number = " ".join(request.GET.get("nomor", "").split())[:100]
    content = documents.decree_pdf(request.user, applications_visible_to(request.user), number) if number else None
    if content is None:
        raise Http404
    return _pdf(content, "lampiran-sk")


@login_required
@require_POST
def subscription_create(request):
    if not policy.prints_realization(request.user):
        raise PermissionDenied
    form = SubscriptionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            subscriptions.subscribe(user=request.user, province=form.cleaned_data["provinsi"],
                                    agency=form.cleaned_data["opd"], day=form.cleaned_data["tanggal"],
                                    language=get_language())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Laporan bulanan akan dikirim ke %(email)s setiap tanggal %(day)s.") % {
                "email": request.user.email, "day": form.cleaned_data["tanggal"]})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("reports:report-realization") + "#langganan")


@require_http_methods(["GET", "POST"])
@csrf_exempt  # the signed link is the credential; a mail client's one-click POST (RFC 8058) has no cookie
def unsubscribe(request, token):
    """Stop a monthly report from its mail's link, without signing in: the page asks, the button
    (or the mail client's one-click POST) stops it."""
    subscription = subscriptions.from_token(token)
    if request.method == "POST":
        if subscription is not None:
            subscription.delete()
        return render(request, "reports/unsubscribe.html", {"done": True})
    return render(request, "reports/unsubscribe.html", {"subscription": subscription, "token": token})


@login_required
@require_POST
def subscription_delete(request, pk):
    deleted, _rows = subscriptions.of(request.user).filter(pk=pk).delete()
    if deleted:
        messages.success(request, _("Langganan laporan bulanan dihentikan."))
    return redirect(reverse("reports:report-realization") + "#langganan")
