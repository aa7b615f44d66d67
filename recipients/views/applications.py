"""Staff pages for applications: the queue of what waits for me, the list, the application page
with a form per allowed move, bulk moves, evidence downloads and the look-alike decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.pagination import seek_page
from core.params import lenient, parse_id
from core.views_utils import apply_errors, paginate
from recipients import policy, selectors, services
from recipients.filters import ApplicationFilter
from recipients.forms import BulkForm, DuplicateResolveForm, StepForm
from recipients.models import State
from recipients.views import require_actor, require_staff
from recipients.workflow import moves_for


def _filtered_applications(request, queryset):
    filterset = ApplicationFilter(request.GET, queryset=selectors.with_return_reason(queryset), request=request)
    return filterset, seek_page(request, filterset.qs, ("-updated_at", "-id"))


@login_required
def queue(request):
    """What waits for me: the applications my role acts on next, in my scope."""
    require_actor(request.user)
    filterset, page = _filtered_applications(request, selectors.queue_for(request.user))
    return render(request, "recipients/queue.html", {
        "filter": filterset, "page": page, "bulk_form": BulkForm() if policy.registers_groups(request.user) else None,
        "title": _("Menunggu tindakan saya"),
    })


@login_required
def application_list(request):
    require_staff(request.user)
    filterset, page = _filtered_applications(request, selectors.applications_visible_to(request.user))
    return render(request, "recipients/queue.html", {"filter": filterset, "page": page, "bulk_form": None,
                                                      "title": _("Semua usulan")})


@login_required
def application_detail(request, pk):
    require_staff(request.user)
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    return _application_page(request, application)


def _application_page(request, application, bound: StepForm | None = None, status: int = 200):
    """The application with a form per allowed move; ``bound`` (a refused move) is shown with its
    errors next to its fields and the user's input kept, instead of a fresh form."""
    role = policy.may_act_on_application(request.user, application)
    moves = moves_for(application.state, role)
    if bound is not None and bound.prefix not in moves:
        # The application moved meanwhile (stale form): that move is gone, so say why here.
        messages.error(request, " ".join(e for errors in bound.errors.values() for e in errors))
    if application.state == State.RETURNED:
        # Corrected: back to the step that failed, and only there.
        target = services.resubmit_target(application)
        moves = [m for m in moves if m not in (State.PROPOSED, State.DOC_CHECKED) or m == target]
    carried = services.carried_answers(application) if State.FIELD_CHECKED in moves else {}
    forms_by_move = [
        (State(to), bound if bound is not None and bound.prefix == to else StepForm(
            application=application, user=request.user, prefix=to, carried=carried if to == State.FIELD_CHECKED
            else None, initial={"to_state": to, "expected_state": application.state}))
        for to in moves
    ]
    return_step = services.latest_return(application) if application.state == State.RETURNED else None
    return render(request, "recipients/application_detail.html", {
        "application": application,
        "return_step": return_step,
        "return_failed": [c for c, a in return_step.answers.items() if not a.get("met")] if return_step else [],
        "can_edit_group": return_step is not None and policy.may_edit_group(request.user, application.group),
        "carried": carried,
        "steps": application.steps.select_related("actor", "realization").prefetch_related("evidence"),
        "forms_by_move": forms_by_move,
        "duplicates": selectors.with_visible_pairs(request.user, application.duplicate_flags.filter(
            resolved_at__isnull=True).select_related("other__group__regency", "other__program")),
    }, status=status)


@login_required
@require_POST
def application_advance(request, pk):
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    require_actor(request.user)
    move = request.POST.get("move", "")
    if move not in State.values:
        messages.error(request, _("Pilih langkah yang akan diambil."))
        return redirect("recipients:application-detail", pk=pk)
    carried = services.carried_answers(application) if move == State.FIELD_CHECKED else None
    form = StepForm(request.POST, request.FILES, application=application, user=request.user, prefix=move,
                    carried=carried)
    if form.is_valid():
        d = form.cleaned_data
        handover = None
        if d["to_state"] == State.DELIVERED:
            for name in ("allocation", "handover_date", "handover_amount"):
                if not d[name]:
                    form.add_error(name, _("Wajib diisi untuk serah terima."))
            if form.is_valid():
                handover = services.Handover(date=d["handover_date"], items=d["handover_items"],
                                             amount=d["handover_amount"], allocation=d["allocation"])
    if form.is_valid():
        try:
            services.application_advance(
                application=application, to_state=d["to_state"], actor=request.user,
                expected_state=d["expected_state"], note=d["note"], answers=form.answers(), sk_number=d["sk_number"],
                sk_date=d.get("sk_date"),
                handover=handover, evidence=[f for f in [d["evidence"]] if f], missing_documents=form.documents(),
            )
        except ValidationError as exc:
            apply_errors(form, _handover_errors(exc))
        else:
            messages.success(request, _("Tahap usulan: %(state)s.") % {"state": State(d["to_state"]).label})
            return redirect("recipients:application-detail", pk=pk)
    application.refresh_from_db()
    return _application_page(request, application, bound=form)


def _handover_errors(exc: ValidationError) -> ValidationError:
    """The budget service speaks of a realization's ``date``/``amount``; on this form they are the
    handover's fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {"date": "handover_date", "amount": "handover_amount"}
    return ValidationError({names.get(field, field): errors for field, errors in exc.error_dict.items()})


@login_required
@require_POST
def queue_bulk(request):
    """The same per-item service call for each selected application; refusals are reported."""
    if not policy.registers_groups(request.user):
        raise PermissionDenied
    form = BulkForm(request.POST)
    ids = [i for i in (lenient(parse_id, value) for value in request.POST.getlist("selected")) if i]
    if not form.is_valid() or not ids:
        messages.error(request, _("Pilih usulan dan tindakannya."))
        return redirect("recipients:queue")
    done, refused = 0, []
    for application in selectors.applications_visible_to(request.user).filter(pk__in=ids):
        try:
            with transaction.atomic():
                services.application_advance(application=application, to_state=form.cleaned_data["to_state"],
                                             actor=request.user, expected_state=application.state,
                                             note=form.cleaned_data["note"], missing_documents=form.documents())
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            refused.append(f"{application.group.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
    if done:
        messages.success(request, _("%(n)s usulan diproses.") % {"n": done})
    for line in refused:
        messages.error(request, line)
    return redirect("recipients:queue")


@login_required
def evidence_download(request, pk):
    evidence = get_object_or_404(selectors.evidence_visible_to(request.user), pk=pk)
    return FileResponse(evidence.file.open("rb"), content_type=evidence.content_type, as_attachment=True,
                        filename=evidence.original_name)


# --- Duplicates ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_list(request):
    require_staff(request.user)
    flags = selectors.duplicates_visible_to(request.user).filter(resolved_at__isnull=True).order_by("application_id")
    if request.method == "POST":
        flag = get_object_or_404(flags, pk=lenient(parse_id, request.POST.get("flag")))
        form = DuplicateResolveForm(request.POST)
        if form.is_valid():
            try:
                services.duplicate_resolve(flag=flag, actor=request.user, resolution=form.cleaned_data["resolution"])
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Keputusan tersimpan."))
        else:
            messages.error(request, _("Tuliskan alasan keputusan."))
        return redirect("recipients:duplicate-list")
    page = paginate(request, flags)
    page.object_list = selectors.with_visible_pairs(request.user, page.object_list)
    return render(request, "recipients/duplicate_list.html", {
        "page": page, "form": DuplicateResolveForm(),
        "can_decide": policy.decides_duplicates(request.user),
    })
