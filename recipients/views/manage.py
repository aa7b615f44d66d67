"""Staff pages for groups, applications, verification, imports and exports.

Everything starts from ``recipients.selectors.*_visible_to(user)``: a group outside the
user's regency (district) or province (provincial officer) is a 404, whatever the URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import StaleEdit
from core.jobs import dispatch
from core.pagination import seek_page
from core.params import lenient, parse_id
from core.spreadsheets import spreadsheet_response
from core.views_utils import apply_errors, paginate, refresh_version
from recipients import access, exports, imports, policy, selectors, services
from recipients.filters import ApplicationFilter, GroupFilter
from recipients.forms import BulkForm, DuplicateResolveForm, GroupForm, ImportForm, ProposeForm, StepForm
from recipients.models import ExportJob, ImportBatch, PersonalDataView, State
from recipients.workflow import moves_for, role_of


def _require_staff(user) -> None:
    if not (user.is_national_admin or user.is_provincial or user.is_district_staff):
        raise PermissionDenied


def _require_actor(user) -> None:
    """Writes are for district staff and provincial officers; national admins only read."""
    if role_of(user) is None:
        raise PermissionDenied


# --- Groups ------------------------------------------------------------------------------------


@login_required
def group_list(request):
    _require_staff(request.user)
    filterset = GroupFilter(request.GET, queryset=selectors.groups_visible_to(request.user), request=request)
    return render(request, "recipients/group_list.html",
                  {"filter": filterset, "page": seek_page(request, filterset.qs, ("name", "id"))})


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request):
    if not request.user.is_district_staff:
        raise PermissionDenied
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.group_data(regency_id=form.cleaned_data["regency"].pk, kind=form.cleaned_data["kind"])
        try:
            group = services.group_create(data=data, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Kelompok “%(name)s” terdaftar.") % {"name": group.name})
            return redirect("recipients:group-detail", pk=group.pk)
    return render(request, "recipients/group_form.html", {"form": form})


@login_required
def group_detail(request, pk):
    _require_staff(request.user)
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    show_nik = policy.may_see_nik(request.user, group)
    members = [
        {"name": m.name, "role": m.get_role_display(), "nik": m.nik if show_nik else policy.mask_nik(m.nik)}
        for m in group.members.all()
    ]
    can_propose = policy.may_act_on(request.user, group, roles=("district",)) is not None
    if show_nik:
        access.record(viewer=request.user, where=PersonalDataView.Where.GROUP_PAGE, group_ids=[group.pk],
                      members=True, path=request.path)
    return render(request, "recipients/group_detail.html", {
        "group": group,
        "members": members,
        "leader_nik": group.leader_nik if show_nik else policy.mask_nik(group.leader_nik),
        "applications": group.applications.select_related("program__agency"),
        "propose_form": ProposeForm(user=request.user, group=group) if can_propose else None,
        "can_edit": policy.may_edit_group(request.user, group),
        "can_withhold": policy.may_withhold_name(request.user, group) and group.kind == group.Kind.IKM,
        "history": selectors.group_history(group, show_nik=show_nik),
    })


@login_required
@require_POST
def group_publication(request, pk):
    """The province withholds a group's name from the public list (with a reason), or publishes it."""
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    if not policy.may_withhold_name(request.user, group):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    services.group_withhold_name(group=group, reason=reason, actor=request.user)
    messages.success(request, _("Nama kelompok tidak dipublikasikan; alasannya tampil di daftar publik.") if
                     reason.strip() else _("Nama kelompok dipublikasikan di daftar penerima."))
    return redirect("recipients:group-detail", pk=group.pk)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk):
    """Correct a group and its members (while no application is approved: its district office)."""
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    if not policy.may_edit_group(request.user, group):
        raise PermissionDenied
    form = GroupForm(request.POST or None, instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.group_data(regency_id=group.regency_id, kind=group.kind)
        try:
            services.group_update(group=group, data=data, actor=request.user,
                                  expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            apply_errors(form, exc)
            if isinstance(exc, StaleEdit):
                group.refresh_from_db()
                refresh_version(form, group.version)
        else:
            returned = group.applications.filter(state=State.RETURNED).first()
            messages.success(request, _("Perubahan kelompok tersimpan.") + (
                " " + _("Usulkan lagi usulan yang dikembalikan dari halaman usulannya.") if returned else ""))
            return redirect("recipients:application-detail", pk=returned.pk) if returned else redirect(
                "recipients:group-detail", pk=group.pk)
    if not form.masked:
        access.record(viewer=request.user, where=PersonalDataView.Where.GROUP_FORM, group_ids=[group.pk],
                      members=True, path=request.path)
    return render(request, "recipients/group_form.html", {"form": form, "group": group})


@login_required
@require_POST
def group_propose(request, pk):
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    form = ProposeForm(request.POST, user=request.user, group=group)
    if form.is_valid():
        try:
            application = services.application_propose(group=group, program=form.cleaned_data["program"],
                                                       actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Kelompok diusulkan ke %(program)s.") % {"program": application.program})
            return redirect("recipients:application-detail", pk=application.pk)
    else:
        messages.error(request, _("Pilih program yang tersedia."))
    return redirect("recipients:group-detail", pk=group.pk)


# --- Applications and the verification steps --------------------------------------------------


def _filtered_applications(request, queryset):
    filterset = ApplicationFilter(request.GET, queryset=selectors.with_return_reason(queryset), request=request)
    return filterset, seek_page(request, filterset.qs, ("-updated_at", "-id"))


@login_required
def queue(request):
    """What waits for me: the applications my role acts on next, in my scope."""
    _require_actor(request.user)
    filterset, page = _filtered_applications(request, selectors.queue_for(request.user))
    return render(request, "recipients/queue.html", {
        "filter": filterset, "page": page, "bulk_form": BulkForm() if request.user.is_district_staff else None,
        "title": _("Menunggu tindakan saya"),
    })


@login_required
def application_list(request):
    _require_staff(request.user)
    filterset, page = _filtered_applications(request, selectors.applications_visible_to(request.user))
    return render(request, "recipients/queue.html", {"filter": filterset, "page": page, "bulk_form": None,
                                                      "title": _("Semua usulan")})


@login_required
def application_detail(request, pk):
    _require_staff(request.user)
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
    _require_actor(request.user)
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
    if not request.user.is_district_staff:
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
    _require_staff(request.user)
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
        "can_decide": request.user.is_provincial_officer,
    })


# --- Import and export --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not request.user.is_district_staff:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = ImportBatch.objects.create(created_by=request.user, program=form.cleaned_data["program"],
                                           file=upload, original_name=upload.name[:200])
        upload.seek(0)
        if imports.is_light(upload.read(), upload.name):
            imports.batch_validate(batch)
        else:
            _send_to_worker(imports.VALIDATE_TASK, batch)
        return redirect("recipients:import-detail", pk=batch.pk)
    batches = selectors.imports_visible_to(request.user)[:10]
    return render(request, "recipients/import_form.html", {"form": form, "batches": batches})


@login_required
def import_detail(request, pk):
    batch = get_object_or_404(selectors.imports_visible_to(request.user), pk=pk)
    busy = batch.status in (ImportBatch.Status.VALIDATING, ImportBatch.Status.COMMITTING)
    return render(request, "recipients/import_detail.html", {
        "batch": batch, "busy": busy, "errors": batch.errors[:imports.ERRORS_SHOWN],
        "more_errors": max(0, len(batch.errors) - imports.ERRORS_SHOWN),
    })


@login_required
def import_errors(request, pk):
    """Every error of the batch as a CSV (the page shows the first ``ERRORS_SHOWN``)."""
    batch = get_object_or_404(selectors.imports_visible_to(request.user), pk=pk)
    rows = ([e["row"], e["column"], e["message"]] for e in batch.errors)
    return spreadsheet_response("csv", ["baris", "kolom", "masalah"], rows, sheet="kesalahan",
                                filename=f"kesalahan-impor-{batch.pk}")


@login_required
@require_POST
def import_commit(request, pk):
    with transaction.atomic():
        batch = get_object_or_404(selectors.imports_visible_to(request.user).select_for_update(), pk=pk)
        if batch.status != ImportBatch.Status.READY:
            messages.info(request, _("Impor ini tidak dalam keadaan siap disimpan (%(status)s).")
                          % {"status": batch.get_status_display()})
            return redirect("recipients:import-detail", pk=pk)
        batch.status = ImportBatch.Status.COMMITTING
        batch.rows_done = 0
        batch.save(update_fields=["status", "rows_done"])
    if batch.rows_total <= imports.SYNC_MAX_ROWS and imports.batch_is_light(batch):
        batch = imports.batch_commit(batch)
        if batch.status == ImportBatch.Status.COMMITTED:
            messages.success(request, _("%(n)s kelompok tersimpan.") % {"n": batch.groups_count})
    else:
        _send_to_worker(imports.COMMIT_TASK, batch)
    return redirect("recipients:import-detail", pk=pk)


def _send_to_worker(task, batch: ImportBatch) -> None:
    """Queue the step after commit; if Redis is down the batch waits and the reaper sends it."""
    dispatch(task, ImportBatch, batch.pk, batch_id=batch.pk)


@login_required
def group_export(request, fmt):
    """A small CSV streams at once; a big one, and every XLSX, is offered as a background export."""
    _require_staff(request.user)
    if fmt not in ExportJob.Format.values:
        raise Http404
    filterset, groups = exports.filtered(request.user, request.GET)
    if fmt == ExportJob.Format.CSV and exports.is_small(groups):
        return exports.stream_csv(request.user, groups, path=request.get_full_path())
    return render(request, "recipients/export_start.html", {
        "fmt": fmt, "params": exports.clean_params(filterset), "described": exports.describe(filterset),
        "jobs": selectors.exports_visible_to(request.user)[:5],
    })


@login_required
@require_POST
def export_create(request):
    _require_staff(request.user)
    fmt = request.POST.get("fmt", "")
    if fmt not in ExportJob.Format.values:
        messages.error(request, _("Pilih format unduhan: CSV atau XLSX."))
        return redirect("recipients:group-list")
    filterset, _groups = exports.filtered(request.user, request.POST)
    job = exports.job_start(request.user, fmt, exports.clean_params(filterset))
    return redirect("recipients:export-detail", pk=job.pk)


@login_required
def export_detail(request, pk):
    job = get_object_or_404(selectors.exports_visible_to(request.user), pk=pk)
    return render(request, "recipients/export_detail.html", {"job": job})


@login_required
def export_download(request, pk):
    job = get_object_or_404(selectors.exports_visible_to(request.user), pk=pk)
    if job.status != ExportJob.Status.DONE or (job.expires_at and job.expires_at <= timezone.now()):
        messages.error(request, _("Berkas ini belum siap atau sudah kedaluwarsa; buat ekspor baru dari daftar "
                                  "kelompok."))
        return render(request, "recipients/export_detail.html", {"job": job}, status=410 if job.expires_at else 409)
    return FileResponse(job.file.open("rb"), content_type=exports.content_type(job), as_attachment=True,
                        filename=f"{exports.FILENAME}.{job.fmt}")
