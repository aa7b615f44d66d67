"""The PDF documents (issue 27): the realization report equals the province page, the decree
attachment lists exactly its decree's groups, the handover record its delivery; read back with
pdftotext as a person would read the printout. And the monthly mail, through a real SMTP server
and a real worker: it arrives once with the PDF, and unsubscribing stops the next one."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from core.models import Region
from core.money import rupiah, rupiah_words
from recipients import exports
from recipients.models import Application, ExportJob, State, VerificationStep
from reports import documents, subscriptions
from reports.models import ReportSubscription
from reports.rollup import rollup_run
from reports.selectors import province_report
from reports.statements import Period

NIK = re.compile(r"\b\d{16}\b")


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def demo(regions):
    call_command("load_demo", verbosity=0)
    rollup_run()
    return {u.username: u for u in User.objects.filter(username__in=["bpkad", "banten", "kalsel", "serang", "admin"])}


def test_banten_2020_realization_report_equals_the_province_page(demo, client):
    coordinator = demo["bpkad"]
    coordinator.nip, coordinator.position = "198001012005011002", "Kepala Bidang Anggaran"
    coordinator.signing_place = "Serang"
    coordinator.save()
    params = {"provinsi": "36", "tahun": 2020, "periode": "tahun"}
    context = documents.realization_context(coordinator, params)
    page = province_report(context["province"], 2020)["totals"]
    totals = context["statement"]["totals"]
    assert (totals["ceiling"], totals["allocated"], totals["to_date"]) == (
        page["ceiling"], page["allocated"], page["realized"])
    text = text_of(documents.realization_pdf(coordinator, params))
    assert "APBD provinsi: pagu Rp20 miliar, 12 OPD" in text  # the article: Rp20 miliar across 12 OPD
    assert re.search(r"Disperindag Banten\)( ilustrasi)? Rp180\.000\.000", text)
    for figure in (page["ceiling"], page["allocated"], page["realized"]):
        assert rupiah(figure) in text
    # The page shows the same figures for the same filter.
    html = client.get("/provinsi/36/?tahun=2020").content.decode()
    assert rupiah_words(page["ceiling"]) in html
    # Signed by the one who made it, dated, with "data per …" and the illustrative badge.
    assert "198001012005011002" in text and "Kepala Bidang Anggaran" in text and "Serang," in text
    assert "Data per" in text and "ilustrasi" in text and "Halaman 1 dari" in text
    assert not NIK.search(text.replace("198001012005011002", ""))


def test_a_quarter_counts_only_its_months_and_the_months_before(demo):
    officer = demo["banten"]
    year = documents.realization_context(officer, {"provinsi": "36", "tahun": 2020, "opd": officer.agency_id})
    quarters = [documents.realization_context(officer, {"provinsi": "36", "tahun": 2020, "periode": f"tw{n}",
                                                        "opd": officer.agency_id})["statement"]["totals"]
                for n in (1, 2, 3, 4)]
    assert sum(q["in_period"] for q in quarters) == quarters[3]["to_date"]
    assert quarters[3]["to_date"] <= year["statement"]["totals"]["to_date"]
    assert all(q["allocated"] == year["statement"]["totals"]["allocated"] for q in quarters)
    assert year["statement"]["with_ceiling"] is False


def test_the_report_in_english(demo):
    text = text_of(documents.realization_pdf(demo["bpkad"], {"provinsi": "36", "tahun": 2020, "bahasa": "en"}))
    assert "BUDGET REALIZATION REPORT" in text and "Page 1 of" in text and "Fiscal Year 2020" in text
    assert "December" in text and "Desember" not in text


def test_the_report_is_built_by_a_job_and_downloaded_by_its_maker_only(demo, client):
    client.force_login(demo["bpkad"])
    response = client.post(reverse("reports:report-realization"),
                           {"provinsi": "63", "tahun": "2020", "periode": "tw2"})  # a forged province
    job = ExportJob.objects.get(table="lra")
    assert response.status_code == 302 and job.params["provinsi"] == "36"  # the field is fixed to their own
    assert client.post(reverse("reports:report-realization"), {"tahun": "2020", "periode": "tw2"}).status_code == 302
    assert ExportJob.objects.filter(table="lra").count() == 1  # a double click: the same job
    job = exports.job_build(job)
    assert job.status == ExportJob.Status.DONE and job.rows_total == job.rows_done > 0
    download = client.get(reverse("recipients:export-download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "Triwulan II Tahun 2020" in text_of(b"".join(download.streaming_content))
    client.force_login(demo["kalsel"])
    assert client.get(reverse("recipients:export-download", args=[job.pk])).status_code == 404
    client.force_login(demo["serang"])  # district staff do not print budget reports
    assert client.get(reverse("reports:report-realization")).status_code == 403


@pytest.mark.parametrize("bad", [{"tahun": "２０２０"}, {"periode": "tw5"}, {"periode": "13"}, {"tahun": "\x00"},
                                 {"opd": "999999"}, {"program": "-1"}])
def test_bad_input_is_a_message_not_a_500_nor_a_job(demo, client, bad):
    client.force_login(demo["admin"])
    response = client.post(reverse("reports:report-realization"),
                           {"provinsi": "36", "tahun": "2020", "periode": "tahun", **bad})
    assert response.status_code in (200, 400)  # a form message, or the NUL byte's page
    assert not ExportJob.objects.exists()


def test_the_decree_attachment_lists_exactly_its_groups(demo, client):
    approved = Application.objects.filter(state__in=[State.APPROVED, State.DELIVERED]).exclude(sk_number="")
    number = approved.values_list("sk_number", flat=True).order_by("sk_number").first()
    mine = list(approved.filter(sk_number=number).select_related("group"))
    others = approved.exclude(sk_number=number).select_related("group")
    client.force_login(demo["bpkad"])
    response = client.get(reverse("reports:decree-attachment"), {"nomor": number})
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert number in text and f"Daftar {len(mine)} penerima" in text
    for application in mine:
        assert application.group.name in text
    for application in others:
        assert application.group.name not in text
    assert not NIK.search(text)
    client.force_login(demo["kalsel"])  # another province's decree is not theirs
    assert client.get(reverse("reports:decree-attachment"), {"nomor": number}).status_code == 404


def test_the_handover_record_is_numbered_and_names_both_parties(demo, client):
    step = VerificationStep.objects.filter(to_state=State.DELIVERED).select_related(
        "application__group", "application__program").order_by("pk").first()
    client.force_login(demo["banten"])
    text = text_of(client.get(reverse("reports:handover-record", args=[step.pk])).content)
    assert f"BAST-0001/P{step.application.program_id}/" in text
    assert rupiah(step.handover_amount) in text and step.application.group.leader_name in text
    assert step.application.sk_number in text and not NIK.search(text)
    client.force_login(demo["kalsel"])
    assert client.get(reverse("reports:handover-record", args=[step.pk])).status_code == 404


def test_the_public_province_summary_pdf(demo, client):
    response = client.get("/provinsi/36/pdf/?tahun=2020")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    page = province_report(Region.objects.get(code="36"), 2020)["totals"]
    assert rupiah(page["allocated"]) in text and rupiah(page["realized"]) in text and "Data per" in text
    assert client.get("/provinsi/99/pdf/").status_code == 404


# --- The monthly mail --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_monthly_report_arrives_once_with_its_pdf_and_unsubscribing_stops_the_next(
        regions, smtp_server, celery_worker_thread):
    from reports.tasks import send_monthly_reports
    from tests.conftest import wait_for

    call_command("load_demo", verbosity=0)
    rollup_run()
    coordinator = User.objects.get(username="bpkad")
    subscription = subscriptions.subscribe(user=coordinator, province=coordinator.province, day=5, language="id")
    today = dt.date.today()
    if today.day < 5:  # its day has not come this month: the beat sends nothing
        assert subscriptions.send_due(today) == {"sent": 0, "skipped": 0, "failed": 0}
    # Two beats firing: two task messages, one mail.
    first, second = send_monthly_reports.delay(), send_monthly_reports.delay()
    results = [first.get(timeout=120), second.get(timeout=120)]
    def monthly():  # load_demo's notifications go out through the same server
        return [m for m in smtp_server.messages if m["List-Unsubscribe"]]

    if today.day >= 5:
        wait_for(monthly, timeout=60)
    else:
        assert monthly() == [] and results == [{"sent": 0, "skipped": 0, "failed": 0}] * 2
        results = [subscriptions.send_due(today.replace(day=5)), subscriptions.send_due(today.replace(day=5))]
    assert sorted(r["sent"] for r in results) == [0, 1]
    assert len(monthly()) == 1
    message = monthly()[0]
    assert message["To"] == coordinator.email and "Laporan realisasi" in message["Subject"]
    link = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    pdfs = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    month = subscriptions.report_month(today)
    assert Period.parse(month.year, str(month.month)).label in text_of(pdfs[0].get_payload(decode=True))
    # Unsubscribing from the link, without signing in: the next month sends nothing.
    from django.test import Client

    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = Client()
    assert b"Berhenti berlangganan" in anonymous.get("/" + path).content
    assert anonymous.post("/" + path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not ReportSubscription.objects.filter(pk=subscription.pk).exists()
    next_month = (today.replace(day=28) + dt.timedelta(days=10)).replace(day=6)
    assert subscriptions.send_due(next_month) == {"sent": 0, "skipped": 0, "failed": 0}
    assert len(monthly()) == 1


def test_a_failed_send_gives_the_month_back(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nobody listens
    subscriptions.subscribe(user=demo["bpkad"], province=demo["bpkad"].province, day=1, language="id")
    day = dt.date(2026, 12, 2)
    assert subscriptions.send_due(day) == {"sent": 0, "skipped": 0, "failed": 1}
    assert ReportSubscription.objects.get().last_period is None  # tried again the next morning


def test_a_subscription_outside_ones_scope_is_refused(demo, client):
    client.force_login(demo["banten"])
    response = client.post(reverse("reports:subscription-create"),
                           {"langganan-provinsi": "63", "langganan-tanggal": "5"}, follow=True)
    assert response.status_code == 200
    assert ReportSubscription.objects.get().province.code == "36"  # the province field is theirs only
    assert client.post(reverse("reports:subscription-create"),
                       {"langganan-tanggal": "31"}, follow=True).status_code == 200
    assert ReportSubscription.objects.count() == 1
    assert client.get(reverse("reports:unsubscribe", args=["forged:token"])).status_code == 200


@pytest.mark.parametrize("nip, ok", [("198001012005011002", True), ("1980 0101 2005 0110 02", True),
                                     ("١٩٨٠٠١٠١٢٠٠٥٠١١٠٠٢", False), ("19800101200501100", False), ("abc", False)])
def test_the_signature_block_is_ones_own_and_a_nip_is_18_ascii_digits(demo, client, nip, ok):
    coordinator = demo["bpkad"]
    client.force_login(coordinator)
    response = client.post(reverse("accounts:my-account"), {
        "form": "signature", "ttd-first_name": "Wulan", "ttd-last_name": "Sari", "ttd-nip": nip,
        "ttd-position": "Kepala Bidang Anggaran", "ttd-signing_place": "Serang"})
    coordinator.refresh_from_db()
    if ok:
        assert response.status_code == 302 and coordinator.nip == "198001012005011002"
        assert documents.signature(coordinator)["name"] == "Wulan Sari"
    else:
        assert response.status_code == 200 and "NIP terdiri dari 18 angka." in response.content.decode()
        assert coordinator.nip == "" and coordinator.position == ""  # nothing half-written


def test_a_report_is_not_a_table_export_and_a_table_is_not_a_pdf(demo, client):
    client.force_login(demo["bpkad"])
    assert client.get(reverse("recipients:table-export", args=["pagu", "pdf"])).status_code == 404
    assert client.get(reverse("recipients:table-export", args=["lra", "csv"])).status_code == 404
    client.post(reverse("recipients:export-create"), {"table": "lra", "fmt": "pdf", "provinsi": "63"})
    assert not ExportJob.objects.exists()


def test_the_application_page_links_its_decree_and_handover_records(demo, client):
    step = VerificationStep.objects.filter(to_state=State.DELIVERED).select_related("application").first()
    client.force_login(demo["banten"])
    html = client.get(reverse("recipients:application-detail", args=[step.application_id])).content.decode()
    assert reverse("reports:handover-record", args=[step.pk]) in html
    assert reverse("reports:decree-attachment") + "?nomor=" in html


def test_the_national_admin_cannot_mix_one_provinces_opd_into_anothers_report(demo, client):
    client.force_login(demo["admin"])
    response = client.post(reverse("reports:report-realization"), {
        "provinsi": "36", "opd": demo["kalsel"].agency_id, "tahun": "2020", "periode": "tahun"})
    assert response.status_code == 200 and "OPD ini bukan dari provinsi yang dipilih." in response.content.decode()
    assert not ExportJob.objects.exists()
