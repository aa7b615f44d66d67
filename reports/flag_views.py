"""The red-flag cases' staff pages: the list an auditor works from, a case with its rule, its
evidence and its history, the auditor's decision and the OPD's answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.pagination import seek_page
from core.params import lenient, parse_id
from core.views_utils import apply_errors
from reports import cases, flags, policy
from reports.forms import FlagAnswerForm, FlagDecisionForm, FlagFilterForm
from reports.models import Flag


def _require_reader(user) -> None:
    if not policy.reads_flags(user):
        raise PermissionDenied


@login_required
@require_safe
def flag_list(request):
    _require_reader(request.user)
    form = FlagFilterForm(request.GET or None, indicators=flags.INDICATORS, states=Flag.State.choices)
    visible = cases.flags_visible_to(request.user)
    qs = visible
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("indikator"):
        qs = qs.filter(indicator=data["indikator"])
    state = data.get("status") or ""
    if state == "":
        qs = qs.filter(state__in=cases.OPEN_STATES)
    elif state != "semua":
        qs = qs.filter(state=state)
    if data.get("tahun"):
        qs = qs.filter(fiscal_year=data["tahun"])
    page = seek_page(request, qs, ("-id",))
    counts = cases.counts_by_state(visible)
    return render(request, "reports/flag_list.html", {
        "form": form, "page": page, "flags": [(f, flags.BY_CODE.get(f.indicator)) for f in page.object_list],
        "counts": [(s.label, counts.get(s.value, 0)) for s in Flag.State], "indicators": flags.INDICATORS})


def _moves(flag) -> list[tuple[str, str]]:
    """The auditor's moves from the case's state, as form choices."""
    allowed = cases.TRANSITIONS.get(flag.state, set())
    return [(state.value, state.label) for state in Flag.State if state in allowed]


def _forms(request, flag, *, decision=None, answer=None):
    choices = _moves(flag)
    if decision is None and choices and policy.decides_flag(request.user, flag):
        decision = FlagDecisionForm(initial={"version": flag.version}, choices=choices, prefix="putus")
    if answer is None and policy.answers_flag(request.user, flag):
        answer = FlagAnswerForm(initial={"version": flag.version}, prefix="jawab")
    return decision, answer


@login_required
@require_http_methods(["GET", "POST"])
def flag_detail(request, pk):
    _require_reader(request.user)
    flag = get_object_or_404(cases.flags_visible_to(request.user), pk=pk)
    decision = answer = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "putus":
                if not policy.decides_flag(request.user, flag):
                    raise PermissionDenied
                decision = FlagDecisionForm(request.POST, prefix="putus", choices=_moves(flag))
                if decision.is_valid():
                    d = decision.cleaned_data
                    cases.flag_decide(flag=flag, actor=request.user, to_state=d["to_state"], text=d["text"],
                                      expected_version=d["version"])
                    messages.success(request, _("Keputusan disimpan."))
                    return redirect("reports:flag-detail", pk=flag.pk)
            elif request.POST.get("form") == "jawab":
                if not policy.answers_flag(request.user, flag):
                    raise PermissionDenied
                answer = FlagAnswerForm(request.POST, request.FILES, prefix="jawab")
                if answer.is_valid():
                    d = answer.cleaned_data
                    cases.flag_answer(flag=flag, actor=request.user, text=d["text"], documents=d["documents"],
                                      expected_version=d["version"])
                    messages.success(request, _("Jawaban terkirim kepada auditor."))
                    return redirect("reports:flag-detail", pk=flag.pk)
            else:
                raise PermissionDenied
        except cases.StaleCase as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("reports:flag-detail", pk=flag.pk)
        except ValidationError as exc:
            apply_errors(decision if request.POST.get("form") == "putus" else answer, exc)
    decision, answer = _forms(request, flag, decision=decision, answer=answer)
    events = flag.events.select_related("actor").prefetch_related("documents")
    return render(request, "reports/flag_detail.html", {
        "flag": flag, "indicator": flags.BY_CODE.get(flag.indicator), "events": events, "measure": flags.describe(flag),
        "evidence": cases.evidence(flag, request.user, path=request.path),
        "decision": decision, "answer": answer}, status=400 if request.method == "POST" else 200)


@login_required
@require_safe
def flag_document(request, pk):
    document = get_object_or_404(cases.documents_visible_to(request.user), pk=lenient(parse_id, str(pk)) or 0)
    return FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                        filename=document.original_name)
