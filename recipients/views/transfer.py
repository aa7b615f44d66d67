"""Staff pages for files in and out: imports (preview, commit, errors) and group exports
(streamed when small, a worker job otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.i18n import shown
from core.jobs import dispatch
from core.spreadsheets import spreadsheet_response
from recipients import exports, imports, policy, selectors
from recipients.forms import ImportForm
from recipients.models import ExportJob, ImportBatch, Member, Sector
from recipients.views import require_staff


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not policy.registers_groups(request.user):
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
    sectors, roles = dict(Sector.choices), dict(Member.Role.choices)
    preview = [{**g, "sector": sectors.get(g["sector"], g["sector"]),
                "members": [{**m, "role": roles.get(m["role"], m["role"])} for m in g["members"]]}
               for g in batch.preview] if batch.status == ImportBatch.Status.READY else []
    return render(request, "recipients/import_detail.html", {
        "batch": batch, "busy": busy, "errors": batch.errors[:imports.ERRORS_SHOWN], "preview": preview,
        "more_errors": max(0, len(batch.errors) - imports.ERRORS_SHOWN),
    })


# The import template: the columns of the group export, and one example row (illustrative: its
# group is made up, its region is Kab. Serang, whose office the articles name).
TEMPLATE_EXAMPLE = ["36.04", "Kabupaten Serang", "Kelompok Konveksi Contoh (contoh, hapus baris ini)", "Konveksi",
                    "Ciruas", "Citerep", "Siti Aminah", "3604015203850001", "081234500003", "1234567890123", "2",
                    "Siti Aminah", "3604015203850001", "ketua"]
TEXT_COLUMNS = ("kode_wilayah", "nik_ketua", "telepon", "nib", "nik_anggota")


@login_required
def import_template(request, fmt):
    """The file to fill in, as CSV or XLSX (NIK, phone and NIB columns formatted as Text)."""
    require_staff(request.user)
    if fmt not in (ExportJob.Format.CSV, ExportJob.Format.XLSX):
        raise Http404
    second = [*TEMPLATE_EXAMPLE[:11], "Dedi", "3604011507900002", "anggota"]
    return spreadsheet_response(fmt, exports.HEADER, [TEMPLATE_EXAMPLE, second], sheet="kelompok",
                                filename="templat-impor-kelompok", text_columns=TEXT_COLUMNS)


@login_required
def import_errors(request, pk):
    """Every error of the batch as a CSV (the page shows the first ``ERRORS_SHOWN``)."""
    batch = get_object_or_404(selectors.imports_visible_to(request.user), pk=pk)
    rows = ([e["row"], e["column"], shown(e)] for e in batch.errors)
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


def _table(user, slug: str):
    table = exports.TABLES.get(slug)
    if table is None:
        raise Http404
    if not table.allowed(user):
        raise PermissionDenied
    return table


@login_required
def group_export(request, fmt):
    return table_export(request, "kelompok", fmt)


@login_required
def table_export(request, table, fmt):
    """A staff table as its page shows it (scope, filters, sort): a small CSV streams at once; a
    big one, and every XLSX, is offered as a background export."""
    table = _table(request.user, table)
    if fmt not in table.formats:
        raise Http404
    filterset, queryset = table.filtered(request.user, request.GET)
    if fmt == ExportJob.Format.CSV and exports.is_small(queryset):
        return exports.stream_csv(request.user, table, queryset, path=request.get_full_path())
    return render(request, "recipients/export_start.html", {
        "table": table, "fmt": fmt, "params": exports.clean_params(filterset, request.GET),
        "described": exports.describe(filterset), "jobs": selectors.exports_visible_to(request.user)[:5],
    })


@login_required
@require_POST
def export_create(request):
    table = _table(request.user, request.POST.get("table", "kelompok"))
    fmt = request.POST.get("fmt", "")
    if fmt not in table.formats or table.document is not None:
        messages.error(request, _("Pilih format unduhan: CSV atau XLSX."))
        return redirect(table.list_url)
    filterset, _rows = table.filtered(request.user, request.POST)
    job = exports.job_start(request.user, table, fmt, exports.clean_params(filterset, request.POST))
    return redirect("recipients:export-detail", pk=job.pk)


@login_required
def export_detail(request, pk):
    job = get_object_or_404(selectors.exports_visible_to(request.user), pk=pk)
    return render(request, "recipients/export_detail.html", {"job": job, "table": exports.TABLES[job.table]})


@login_required
def export_download(request, pk):
    job = get_object_or_404(selectors.exports_visible_to(request.user), pk=pk)
    if job.status != ExportJob.Status.DONE or (job.expires_at and job.expires_at <= timezone.now()):
        messages.error(request, _("Berkas ini belum siap atau sudah kedaluwarsa; buat ekspor baru dari "
                                  "daftarnya."))
        return render(request, "recipients/export_detail.html", {"job": job, "table": exports.TABLES[job.table]},
                      status=410 if job.expires_at else 409)
    return FileResponse(job.file.open("rb"), content_type=exports.content_type(job), as_attachment=True,
                        filename=f"{exports.TABLES[job.table].download_name}.{job.fmt}")
