"""Exports that never time out (issue 14): a small CSV streams from the request; a big one and
every XLSX is built by a real Celery worker into a private file, with progress, for its creator
only, and deleted when it expires."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.jobs import EXPORT_LOCK_CLASS, session_lock
from recipients import exports, services
from recipients.models import ExportJob
from tests.conftest import wait_for
from tests.factories import region

NIK = "3604015203850001"


def _groups(staff, count, regency="36.04"):
    for i in range(count):
        services.group_create(actor=staff, data=services.GroupData(
            name=f"Kelompok {regency} {i:02d}", regency_id=region(regency).pk, sector="masks" if i % 2 else "food",
            leader_name=f"Ketua {i}", leader_nik=NIK[:-2] + f"{i + 1:02d}"))


@pytest.mark.django_db
def test_a_small_csv_streams_in_scope_with_nik_masked_outside_the_regency(client, serang_staff, lebak_staff,
                                                                           banten_officer, kalsel_officer):
    _groups(serang_staff, 3)
    _groups(lebak_staff, 2, regency="36.02")
    client.force_login(banten_officer)
    response = client.get(reverse("recipients:group-export", args=["csv"]), {"regency": region("36.04").pk})
    assert isinstance(response, StreamingHttpResponse)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == exports.HEADER and len(rows) == 4
    assert {r[2] for r in rows[1:]} == {"Kelompok 36.04 00", "Kelompok 36.04 01", "Kelompok 36.04 02"}
    assert all("•" in r[7] for r in rows[1:])  # the province sees masked NIKs
    client.force_login(serang_staff)
    mine = b"".join(client.get(reverse("recipients:group-export", args=["csv"])).streaming_content).decode()
    assert NIK[:-2] + "01" in mine and "36.02" not in mine  # the regency's own office sees them; Lebak is not in scope
    client.force_login(kalsel_officer)
    other = b"".join(client.get(reverse("recipients:group-export", args=["csv"])).streaming_content).decode()
    assert other.count("\n") == 1  # the header only


@pytest.mark.django_db
def test_an_unknown_format_or_a_forged_post_is_refused_cleanly(client, serang_staff):
    client.force_login(serang_staff)
    assert client.get("/kelola/kelompok/ekspor.pdf").status_code == 404
    response = client.post(reverse("recipients:export-create"), {"fmt": "exe"}, follow=True)
    assert response.status_code == 200 and "Pilih format unduhan" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_big_export_is_built_by_the_worker_for_its_creator_only(client, serang_staff, lebak_staff, settings,
                                                                   celery_worker_thread):
    settings.EXPORT_SYNC_MAX_ROWS = 3
    _groups(serang_staff, 7)
    client.force_login(serang_staff)
    # Too big to stream: the GET offers a background export and writes nothing.
    start = client.get(reverse("recipients:group-export", args=["csv"]), {"regency": region("36.04").pk, "junk": "1"})
    assert start.status_code == 200 and b'data-testid="export-start"' in start.content
    assert not ExportJob.objects.exists()
    response = client.post(reverse("recipients:export-create"), {"fmt": "csv", "sector": "masks"})
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("recipients:export-detail", args=[job.pk])
    assert job.params == {"sector": "masks"}
    # A double click while it is queued or running finds the same job.
    client.post(reverse("recipients:export-create"), {"fmt": "csv", "sector": "masks"})
    assert ExportJob.objects.count() in (1, 2) and ExportJob.objects.filter(status="done").count() <= 1
    job = wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).first())
    assert job.rows_total == job.rows_done == 3 and job.progress_percent == 100
    assert job.expires_at - job.finished_at == dt.timedelta(hours=settings.EXPORT_KEEP_HOURS)
    page = client.get(reverse("recipients:export-detail", args=[job.pk]))
    assert b'data-testid="export-download"' in page.content
    download = client.get(reverse("recipients:export-download", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4 and {r[3] for r in rows[1:]} == {"Masker"} and rows[1][7].startswith(NIK[:12])
    # Someone else, even in the same province, cannot see or fetch it.
    client.force_login(lebak_staff)
    assert client.get(reverse("recipients:export-download", args=[job.pk])).status_code == 404
    assert client.get(reverse("recipients:export-detail", args=[job.pk])).status_code == 404


def test_an_xlsx_is_always_a_job_and_expires(client, banten_officer, serang_staff, celery_worker_thread):
    _groups(serang_staff, 4)
    client.force_login(banten_officer)
    assert client.get(reverse("recipients:group-export", args=["xlsx"])).status_code == 200
    assert not ExportJob.objects.exists()
    client.post(reverse("recipients:export-create"), {"fmt": "xlsx"})
    job = wait_for(lambda: ExportJob.objects.filter(status=ExportJob.Status.DONE).first())
    body = b"".join(client.get(reverse("recipients:export-download", args=[job.pk])).streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    values = list(sheet.values)
    assert list(values[0]) == exports.HEADER and len(values) == 5 and all("•" in v[7] for v in values[1:])
    path = job.file.path
    # Past its time the reaper deletes the file; the link then says so (410), it never 500s.
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert exports.jobs_reap()["expired"] == 1
    import os

    assert not os.path.exists(path)
    gone = client.get(reverse("recipients:export-download", args=[job.pk]))
    assert gone.status_code == 410 and "kedaluwarsa" in gone.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_is_sent_again_and_one_in_progress_is_left_alone(serang_staff, settings):
    settings.JOB_GRACE_SECONDS = 1
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    dead = ExportJob.objects.create(created_by=serang_staff, fmt="csv", status=ExportJob.Status.RUNNING,
                                    heartbeat_at=long_ago, dispatched_at=long_ago - dt.timedelta(seconds=1))
    alive = ExportJob.objects.create(created_by=serang_staff, fmt="csv", status=ExportJob.Status.RUNNING,
                                     heartbeat_at=long_ago, dispatched_at=long_ago - dt.timedelta(seconds=1))
    with session_lock(EXPORT_LOCK_CLASS, alive.pk):  # a live worker holds its lock
        report = exports.jobs_reap()
    assert report["resent"] == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.attempts == 1 and dead.dispatched_at > long_ago and alive.attempts == 0
    # A resent message for a job already claimed by a live worker does nothing.
    with session_lock(EXPORT_LOCK_CLASS, alive.pk):
        pass
    settings.JOB_MAX_ATTEMPTS = 1
    ExportJob.objects.filter(pk=dead.pk).update(dispatched_at=long_ago)
    assert exports.jobs_reap()["failed"] == 1
    assert ExportJob.objects.get(pk=dead.pk).status == ExportJob.Status.FAILED
