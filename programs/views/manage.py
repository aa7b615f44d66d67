"""Staff pages for budgets: thin views that validate a form, call a service, redirect.

Every object is fetched through ``programs.selectors.*_visible_to(user)``, so a row outside
the user's scope is a 404 whatever the URL says; writes additionally need the
rule for the write (``programs/rules.py``: set_budget, manage_program, record_realization;
403 for everyone else).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.history import record_history
from core.pagination import seek_page
from core.params import lenient, parse_id
from core.sorting import sort
from core.views_utils import apply_errors, paginate, refresh_version
from programs import exports, services
from programs.filters import AllocationFilter, ProgramFilter, RealizationFilter
from programs.forms import (
    AllocationCreateForm,
    CeilingCreateForm,
    CeilingEditForm,
    ProgramForm,
    RealizationForm,
    ReversalForm,
    RevisionForm,
)
from programs.selectors import (
    allocations_visible_to,
    ceilings_visible_to,
    programs_visible_to,
    realizations_visible_to,
)


def _require_view(user) -> None:
    if not user.has_perm("programs.view_budget"):
        raise PermissionDenied


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def _on_duplicate(request, url_name: str, pk: int):
    messages.info(request, _("Formulir ini sudah tersimpan sebelumnya; tidak disimpan dua kali."))
    return redirect(url_name, pk=pk)


# --- Ceilings ------------------------------------------------------------------------------


@login_required
def ceiling_list(request):
    _require_view(request.user)
    filterset, rows = exports.ceilings(request.user, request.GET)
    return render(request, "programs/ceiling_list.html", {
        "filter": filterset, "page": paginate(request, rows), "table": exports.CEILINGS,
        "sort": sort(request.GET, exports.CEILING_SORT, exports.CEILING_ORDER)})


@login_required
@require_http_methods(["GET", "POST"])
def ceiling_create(request):
    _require(request.user, "programs.set_budget")
    form = CeilingCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ceiling = services.ceiling_create(
                province=request.user.province,
                fiscal_year=data["fiscal_year"],
                funding_source=data["funding_source"],
                amount=data["amount"],
                note=data["note"],
                actor=request.user,
                submission_id=data["submission_id"],
            )
        except services.DuplicateSubmission as exc:
            return _on_duplicate(request, "programs:ceiling-detail", exc.existing.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Pagu %(ceiling)s tersimpan.") % {"ceiling": ceiling})
            return redirect("programs:ceiling-detail", pk=ceiling.pk)
    return render(request, "programs/ceiling_form.html", {"form": form})


@login_required
def ceiling_detail(request, pk):
    _require_view(request.user)
    ceiling = get_object_or_404(ceilings_visible_to(request.user), pk=pk)
    allocations = allocations_visible_to(request.user).filter(ceiling=ceiling).order_by("program__agency__name")
    return render(
        request,
        "programs/ceiling_detail.html",
        {
            "ceiling": ceiling,
            "allocations": allocations,
            "can_manage": request.user.has_perm("programs.set_budget", ceiling),
            "history": record_history(ceiling, fields=("amount", "allocated_total", "note")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ceiling_edit(request, pk):
    ceiling = get_object_or_404(ceilings_visible_to(request.user), pk=pk)
    _require(request.user, "programs.set_budget", ceiling)
    form = CeilingEditForm(
        request.POST or None, initial={"amount": ceiling.amount, "note": ceiling.note, "version": ceiling.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ceiling_update(
                ceiling=ceiling,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            if isinstance(exc, services.StaleEdit):
                ceiling.refresh_from_db()
                refresh_version(form, ceiling.version)
        else:
            messages.success(request, _("Pagu diperbarui."))
            return redirect("programs:ceiling-detail", pk=ceiling.pk)
    return render(request, "programs/ceiling_edit.html", {"form": form, "ceiling": ceiling})


# --- Allocations ---------------------------------------------------------------------------


@login_required
def allocation_list(request):
    _require_view(request.user)
    filterset, rows = exports.allocations(request.user, request.GET)
    return render(request, "programs/allocation_list.html", {
        "filter": filterset, "page": paginate(request, rows), "table": exports.ALLOCATIONS,
        "sort": sort(request.GET, exports.ALLOCATION_SORT, exports.ALLOCATION_ORDER)})


@login_required
@require_http_methods(["GET", "POST"])
def allocation_create(request):
    _require(request.user, "programs.set_budget")
    initial = {"ceiling": lenient(parse_id, request.GET.get("ceiling"))}
    form = AllocationCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            allocation = services.allocation_create(
                ceiling=data["ceiling"],
                program=data["program"],
                regency=data["regency"],
                amount=data["amount"],
                note=data["note"],
                actor=request.user,
                submission_id=data["submission_id"],
            )
        except services.DuplicateSubmission as exc:
            return _on_duplicate(request, "programs:allocation-detail", exc.existing.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Alokasi tersimpan."))
            return redirect("programs:allocation-detail", pk=allocation.pk)
    return render(request, "programs/allocation_form.html", {"form": form})


@login_required
def allocation_detail(request, pk):
    _require_view(request.user)
    allocation = get_object_or_404(allocations_visible_to(request.user), pk=pk)
    # Paginated: a national-scale allocation has thousands of realizations (its total is the running
    # ``realized_total``, shown with it).
    realizations = seek_page(request, allocation.realizations.select_related("created_by", "reversal"),
                             ("-date", "-id"))
    can_revise = request.user.has_perm("programs.set_budget", allocation)
    can_record = request.user.has_perm("programs.record_realization", allocation)
    return render(
        request,
        "programs/allocation_detail.html",
        {
            "allocation": allocation,
            "realizations": realizations,
            "revisions": allocation.revisions.select_related("actor"),
            "history": record_history(allocation, fields=("amount", "realized_total", "note")),
            "can_revise": can_revise,
            "can_record": can_record,
            "revision_form": RevisionForm(initial={"version": allocation.version}) if can_revise else None,
            "realization_form": RealizationForm(fiscal_year=allocation.ceiling.fiscal_year) if can_record else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def allocation_revise(request, pk):
    allocation = get_object_or_404(allocations_visible_to(request.user), pk=pk)
    _require(request.user, "programs.set_budget", allocation)
    form = RevisionForm(request.POST or None, initial={"version": allocation.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.allocation_revise(
                allocation=allocation,
                new_amount=form.cleaned_data["new_amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            if isinstance(exc, services.StaleEdit):
                allocation.refresh_from_db()
                refresh_version(form, allocation.version)
        else:
            messages.success(request, _("Revisi alokasi tersimpan."))
            return redirect("programs:allocation-detail", pk=allocation.pk)
    return render(request, "programs/allocation_revise.html", {"form": form, "allocation": allocation})


# --- Realizations --------------------------------------------------------------------------


@login_required
def realization_list(request):
    _require_view(request.user)
    filterset = RealizationFilter(request.GET, queryset=realizations_visible_to(request.user), request=request)
    order = sort(request.GET, exports.REALIZATION_SORT, exports.REALIZATION_ORDER)
    page = seek_page(request, filterset.qs, order.ordering)
    return render(request, "programs/realization_list.html", {
        "filter": filterset, "page": page, "total": _realized_total(request, filterset), "sort": order,
        "table": exports.REALIZATIONS})


def _realized_total(request, filterset) -> int:
    """The sum of the filtered realizations. Filtered only by what an allocation has (year,
    province, OPD, funding source, kind), it is the sum of those allocations' running
    ``realized_total`` (a few thousand rows at national scale, never the ten million
    realizations); with dates or a search, one aggregate over the matching realizations."""
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    if any(data.get(name) for name in ("date_from", "date_to", "q")):
        return filterset.qs.aggregate(total=Sum("amount"))["total"] or 0
    allocations = AllocationFilter(request.GET, queryset=allocations_visible_to(request.user), request=request)
    allocations.filters.pop("q")
    return allocations.qs.order_by().aggregate(total=Sum("realized_total"))["total"] or 0


@login_required
@require_http_methods(["GET", "POST"])
def realization_create(request, pk):
    allocation = get_object_or_404(allocations_visible_to(request.user), pk=pk)
    _require(request.user, "programs.record_realization", allocation)
    form = RealizationForm(request.POST or None, fiscal_year=allocation.ceiling.fiscal_year)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.realization_create(
                allocation=allocation,
                date=data["date"],
                amount=data["amount"],
                description=data["description"],
                document_number=data["document_number"],
                actor=request.user,
                submission_id=data["submission_id"],
            )
        except services.DuplicateSubmission:
            return _on_duplicate(request, "programs:allocation-detail", allocation.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Realisasi tercatat."))
            return redirect("programs:allocation-detail", pk=allocation.pk)
    return render(request, "programs/realization_form.html", {"form": form, "allocation": allocation})


@login_required
@require_http_methods(["GET", "POST"])
def realization_reverse(request, pk):
    """Correct a wrong realization with a reversal entry (the allocation page's "Koreksi")."""
    realization = get_object_or_404(realizations_visible_to(request.user).select_related("allocation"), pk=pk)
    allocation = realization.allocation
    _require(request.user, "programs.record_realization", allocation)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.realization_reverse(realization=realization, reason=form.cleaned_data["reason"],
                                         actor=request.user, submission_id=form.cleaned_data["submission_id"])
        except services.DuplicateSubmission:
            return _on_duplicate(request, "programs:allocation-detail", allocation.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Realisasi dikoreksi dengan entri pembalik; total realisasi turun."))
            return redirect("programs:allocation-detail", pk=allocation.pk)
    return render(request, "programs/reversal_form.html", {"form": form, "realization": realization,
                                                           "allocation": allocation})


# --- Programs ------------------------------------------------------------------------------


@login_required
def program_list(request):
    _require_view(request.user)
    order = sort(request.GET, PROGRAM_SORT, ("-fiscal_year", "name", "id"))
    filterset = ProgramFilter(request.GET, queryset=programs_visible_to(request.user), request=request)
    return render(request, "programs/program_list.html", {
        "filter": filterset, "page": paginate(request, filterset.qs.order_by(*order.ordering)), "sort": order})


PROGRAM_SORT = {"tahun": ("fiscal_year",), "opd": ("agency__name",), "program": ("name",), "jenis": ("kind",),
                "target": ("target_count",), "status": ("status",)}


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request, pk=None):
    program = get_object_or_404(programs_visible_to(request.user), pk=pk) if pk else None
    _require(request.user, "programs.manage_program", program)
    form = ProgramForm(request.POST or None, instance=program, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_save(program=form.instance, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Program “%(name)s” tersimpan.") % {"name": program.name})
            return redirect("programs:program-list")
    return render(request, "programs/program_form.html", {"form": form, "program": program})
