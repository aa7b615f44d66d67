import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from programs import services as budget
from programs.models import Realization
from recipients import imports, services
from recipients.models import (
    Application,
    DuplicateFlag,
    Evidence,
    ImportBatch,
    Member,
    RecipientGroup,
    State,
    VerificationStep,
)
from tests.factories import CeilingFactory, ProgramFactory, real_image, real_pdf, region

pytestmark = pytest.mark.django_db

NIK_SERANG = "3604015203850001"
NIK_SERANG_2 = "3604011507900002"


def db_state():
    return (
        list(RecipientGroup.objects.order_by("pk").values_list("pk", "name")),
        list(Member.objects.order_by("pk").values_list("pk", "nik")),
        list(Application.objects.order_by("pk").values_list("pk", "state", "version")),
        VerificationStep.objects.count(),
        Evidence.objects.count(),
    )


@pytest.fixture
def masks_program(disperindag_banten):
    return ProgramFactory(agency=disperindag_banten, fiscal_year=2020, name="Peralatan masker SNI",
                          criteria=["Sangat terdampak Covid-19", "Memproduksi masker kain"])


@pytest.fixture
def serang_group(serang_staff):
    return services.group_create(actor=serang_staff, data=services.GroupData(
        name="Kelompok Masker Kain Ciruas", regency_id=region("36.04").pk, sector="masks", leader_name="Siti",
        leader_nik=NIK_SERANG, nib="1234567890123",
        members=[services.MemberData("Siti", NIK_SERANG, "leader"), services.MemberData("Dedi", NIK_SERANG_2)],
    ))


@pytest.fixture
def application(serang_group, masks_program, serang_staff):
    return services.application_propose(group=serang_group, program=masks_program, actor=serang_staff)


@pytest.fixture
def personas(banten_officer, kalsel_officer, serang_staff, lebak_staff, national_admin):
    return {None: None, "banten": banten_officer, "kalsel": kalsel_officer, "serang": serang_staff,
            "lebak": lebak_staff, "admin": national_admin}


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


# --- ladders -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    (None, 302), ("kalsel", 404), ("lebak", 404), ("serang", 200), ("banten", 200), ("admin", 200),
])
def test_group_and_application_pages_ladder(client, personas, application, who, expected):
    c = as_user(client, personas[who])
    assert c.get(reverse("recipients:group-detail", args=[application.group_id])).status_code == expected
    assert c.get(reverse("recipients:application-detail", args=[application.pk])).status_code == expected


@pytest.mark.parametrize(("who", "expected", "moved"), [
    (None, 302, False), ("kalsel", 404, False), ("lebak", 404, False), ("admin", 403, False),
    ("banten", 403, False), ("serang", 302, True),
])
def test_document_check_ladder(client, personas, application, who, expected, moved):
    before = db_state()
    response = as_user(client, personas[who]).post(
        reverse("recipients:application-advance", args=[application.pk]),
        {"move": "doc_checked", "doc_checked-to_state": "doc_checked", "doc_checked-expected_state": "proposed"},
    )
    assert response.status_code == expected
    application.refresh_from_db()
    assert (application.state == State.DOC_CHECKED) is moved
    if not moved:
        assert db_state() == before


def test_a_rejection_is_confirmed_on_the_form_and_each_button_says_its_move(client, personas, application):
    """Reject is final: without the confirmation box ticked nothing moves and the form says why."""
    c = as_user(client, personas["serang"])
    page = c.get(reverse("recipients:application-detail", args=[application.pk])).content.decode()
    buttons = re.findall(r'<button[^>]*name="move"[^>]*>([^<]*)</button>', page)
    assert buttons == ["Nyatakan lolos cek dokumen", "Kembalikan untuk perbaikan", "Tolak usulan (final)"]
    assert "data-confirm=" in page
    assert "Diusulkan → " not in page  # the proposal itself is one state, not "A → A"
    url = reverse("recipients:application-advance", args=[application.pk])
    post = {"move": "rejected", "rejected-to_state": "rejected", "rejected-expected_state": "proposed",
            "rejected-note": "Bukan usaha industri"}
    before = db_state()
    response = c.post(url, post)
    assert response.status_code == 200
    assert "penolakan tidak dapat dibatalkan" in response.content.decode()
    application.refresh_from_db()
    assert application.state == State.PROPOSED and db_state() == before
    response = c.post(url, {**post, "rejected-confirm_final": "on"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.REJECTED


@pytest.mark.parametrize(("who", "expected"), [(None, 302), ("lebak", 200), ("serang", 200), ("banten", 200)])
def test_lists_show_only_the_scope(client, personas, application, who, expected):
    response = as_user(client, personas[who]).get(reverse("recipients:group-list"))
    assert response.status_code == expected
    if expected == 200:
        visible = "Kelompok Masker Kain Ciruas" in response.content.decode()
        assert visible is (who in ("serang", "banten"))


def test_public_sees_none_of_it(client, application):
    for name, args in [("recipients:group-list", []), ("recipients:queue", []),
                       ("recipients:group-export", ["csv"]), ("recipients:import-upload", [])]:
        assert client.get(reverse(name, args=args)).status_code == 302


def test_nik_is_masked_except_for_the_groups_own_district_staff(client, personas, application):
    url = reverse("recipients:group-detail", args=[application.group_id])
    assert NIK_SERANG in as_user(client, personas["serang"]).get(url).content.decode()
    body = as_user(client, personas["banten"]).get(url).content.decode()
    assert NIK_SERANG not in body and "3604••••••••0001" in body


# --- the state machine --------------------------------------------------------------------------

def test_the_whole_journey_ends_in_a_realization(application, serang_staff, banten_officer, masks_program):
    ceiling = CeilingFactory(fiscal_year=2020, amount=20_000_000_000)
    allocation = budget.allocation_create(ceiling=ceiling, program=masks_program, amount=180_000_000)
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    answers = {c: {"met": True, "note": "ok"} for c in masks_program.criteria}
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers=answers)
    services.application_advance(application=application, to_state=State.APPROVED, actor=banten_officer,
                                 sk_number="SK-36/001/2020")
    step = services.application_advance(
        application=application, to_state=State.DELIVERED, actor=banten_officer,
        handover=services.Handover(date=dt.date(2020, 12, 1), items="3 mesin jahit", amount=18_000_000,
                                   allocation=allocation))
    application.refresh_from_db()
    allocation.refresh_from_db()
    assert application.state == State.DELIVERED and application.sk_number == "SK-36/001/2020"
    assert step.realization.amount == 18_000_000 and allocation.realized_total == 18_000_000
    assert list(application.steps.values_list("to_state", flat=True)) == [
        "proposed", "doc_checked", "field_checked", "approved", "delivered"]


@pytest.mark.parametrize(("to_state", "kwargs", "field"), [
    (State.APPROVED, {}, None),                        # skipping steps
    (State.RETURNED, {"note": ""}, "note"),            # a return needs its reason
    (State.REJECTED, {"note": " "}, "note"),
])
def test_refused_moves_change_nothing(application, serang_staff, to_state, kwargs, field):
    before = db_state()
    with pytest.raises((ValidationError, PermissionDenied)):
        services.application_advance(application=application, to_state=to_state, actor=serang_staff, **kwargs)
    assert db_state() == before


def test_field_check_needs_every_criterion_met(application, serang_staff, masks_program):
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    before = db_state()
    with pytest.raises(ValidationError, match="Jawab setiap kriteria"):
        services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                     answers={"Sangat terdampak Covid-19": {"met": True}})
    with pytest.raises(ValidationError, match="tidak terpenuhi"):
        services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                     answers={c: {"met": False} for c in masks_program.criteria})
    assert db_state() == before


def test_district_cannot_approve_and_province_needs_an_sk(application, serang_staff, banten_officer, masks_program):
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers={c: {"met": True} for c in masks_program.criteria})
    before = db_state()
    with pytest.raises(PermissionDenied):
        services.application_advance(application=application, to_state=State.APPROVED, actor=serang_staff,
                                     sk_number="SK-1")
    with pytest.raises(ValidationError, match="SK"):
        services.application_advance(application=application, to_state=State.APPROVED, actor=banten_officer)
    assert db_state() == before


def test_returned_with_failed_criteria_and_proposed_again(application, serang_staff, masks_program):
    services.application_advance(application=application, to_state=State.RETURNED, actor=serang_staff,
                                 note="NIB belum dilampirkan",
                                 answers={"Memproduksi masker kain": {"met": False, "note": "hanya jahit tas"}})
    services.application_advance(application=application, to_state=State.PROPOSED, actor=serang_staff,
                                 note="NIB dilampirkan")
    application.refresh_from_db()
    assert application.state == State.PROPOSED
    assert application.steps.get(to_state=State.RETURNED).answers["Memproduksi masker kain"]["met"] is False


@pytest.mark.django_db(transaction=True)
def test_two_staff_advancing_at_once_record_exactly_one_step(regions, disperindag_banten, serang_staff):
    program = ProgramFactory(agency=disperindag_banten, fiscal_year=2020)
    group = services.group_create(actor=serang_staff, data=services.GroupData(
        name="Kelompok Uji", regency_id=region("36.04").pk, sector="masks", leader_name="A"))
    application = services.application_propose(group=group, program=program, actor=serang_staff)
    barrier, outcomes = threading.Barrier(2), []

    def act():
        try:
            barrier.wait(timeout=10)
            services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff,
                                         expected_state=State.PROPOSED)
            outcomes.append("ok")
        except services.StaleStep as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=act) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes.count("ok") == 1
    assert any("sudah diproses orang lain" in o for o in outcomes)
    assert application.steps.filter(to_state=State.DOC_CHECKED).count() == 1


def test_stale_step_in_the_browser_shows_a_message(client, application, serang_staff):
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    before = db_state()
    response = as_user(client, serang_staff).post(
        reverse("recipients:application-advance", args=[application.pk]),
        {"move": "doc_checked", "doc_checked-to_state": "doc_checked", "doc_checked-expected_state": "proposed"},
        follow=True)
    assert "sudah diproses orang lain" in response.content.decode()
    assert db_state() == before


# --- duplicates, evidence, export ----------------------------------------------------------------

def test_same_leader_nik_in_two_programs_of_a_year_is_flagged_on_both(serang_group, masks_program, serang_staff,
                                                                      disperindag_banten):
    other_program = ProgramFactory(agency=disperindag_banten, fiscal_year=2020)
    lookalike = services.group_create(actor=serang_staff, data=services.GroupData(
        name="KUB Masker Ciruas Baru", regency_id=region("36.04").pk, sector="masks", leader_name="Siti",
        leader_nik=NIK_SERANG))
    first = services.application_propose(group=serang_group, program=masks_program, actor=serang_staff)
    second = services.application_propose(group=lookalike, program=other_program, actor=serang_staff)
    first.refresh_from_db()
    assert first.has_duplicate and Application.objects.get(pk=second.pk).has_duplicate
    assert DuplicateFlag.objects.filter(application=first, other=second, reason="NIK ketua sama").exists()


def test_evidence_only_pdf_jpeg_png_and_served_in_scope(client, application, serang_staff, lebak_staff):
    fake = SimpleUploadedFile("bukti.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    before = db_state()
    with pytest.raises(ValidationError, match="bukan PDF"):
        services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff,
                                     evidence=[fake])
    assert db_state() == before
    pdf = SimpleUploadedFile("berita-acara.pdf", real_pdf(), content_type="application/pdf")
    step = services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff,
                                        evidence=[pdf])
    evidence = step.evidence.get()
    url = reverse("recipients:evidence", args=[evidence.pk])
    assert as_user(client, lebak_staff).get(url).status_code == 404
    response = as_user(client, serang_staff).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    from django.conf import settings

    assert evidence.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not evidence.file.path.startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize(("name", "content"), [
    ("sk.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>"),  # PDF magic, HTML body
    ("foto.png", real_image("PNG") + b"<html><body><script>alert(1)</script>"),  # a PNG+HTML polyglot
    ("foto.jpg", real_image("JPEG")[:200]),  # a truncated photo
    ("foto.jpg", real_image("PNG")),  # a PNG named .jpg
    ("sk.pdf", real_pdf().replace(b"/Type /Page", b"/Type /Page /AA << /O << /S /JavaScript /JS (x) >> >>", 1)),
])
def test_evidence_is_checked_by_what_it_is_not_by_its_first_bytes(application, serang_staff, name, content):
    before = db_state()
    with pytest.raises(ValidationError, match="yang utuh"):
        services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff,
                                     evidence=[SimpleUploadedFile(name, content)])
    assert db_state() == before
    ok = services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff,
                                      evidence=[SimpleUploadedFile("foto.png", real_image("PNG"))])
    assert ok.evidence.get().content_type == "image/png"


def test_export_neutralises_formulas_and_masks_nik_outside_the_regency(client, serang_staff, banten_officer):
    services.group_create(actor=serang_staff, data=services.GroupData(
        name="=HYPERLINK(\"http://x\")", regency_id=region("36.04").pk, sector="masks", leader_name="+cmd",
        leader_nik=NIK_SERANG))
    response = as_user(client, banten_officer).get(reverse("recipients:group-export", args=["csv"]))
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body and "'+cmd" in body
    assert NIK_SERANG not in body


# --- import ---------------------------------------------------------------------------------------

HEADER = "kode_wilayah,nama_kelompok,sektor,kecamatan,desa,nama_ketua,nik_ketua,telepon,nib,jumlah_anggota," \
         "nama_anggota,nik_anggota,peran_anggota\n"


def _nik(i: int) -> str:
    return f"360401{1 + i % 28:02d}{1 + i % 12:02d}{70 + i % 30:02d}{i % 9999 + 1:04d}"


def test_import_preview_lists_every_bad_row_then_the_fixed_file_commits(client, serang_staff, masks_program):
    bad = HEADER + (
        f"36.04,Kelompok A,masker,Ciruas,,Siti,{_nik(1)},,,,Siti,{_nik(1)},ketua\n"
        f"99.99,Kelompok B,masker,,,Budi,,,,,,,\n"                      # unknown regency
        f"36.04,Kelompok C,masker,,,Ani,123,,,,,,\n"                     # bad NIK
        f"36.02,Kelompok D,masker,,,Asep,,,,,,,\n"                       # another regency
        f"36.04,,masker,,,Tono,,,,,,,\n"                                 # missing name
        f"36.04,Kelompok A,masker,Ciruas,,Siti,{_nik(1)},,,,Dedi,{_nik(1)},anggota\n"  # duplicate NIK
    )
    c = as_user(client, serang_staff)
    response = c.post(reverse("recipients:import-upload"),
                      {"file": SimpleUploadedFile("kelompok.csv", bad.encode()), "program": masks_program.pk})
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("recipients:import-detail", args=[batch.pk])
    assert batch.status == ImportBatch.Status.INVALID
    assert sorted({e["row"] for e in batch.errors}) == [3, 4, 5, 6, 7]
    page = c.get(response["Location"]).content.decode()
    assert "tidak dikenal" in page and "di luar wilayah tugas" in page and "16 digit" in page
    assert c.post(reverse("recipients:import-commit", args=[batch.pk])).status_code == 302
    assert not RecipientGroup.objects.exists()

    good = HEADER + (
        f"36.04,Kelompok A,masker,Ciruas,,Siti,{_nik(1)},,,,Siti,{_nik(1)},ketua\n"
        f"36.04,Kelompok A,masker,Ciruas,,Siti,{_nik(1)},,,,Dedi,{_nik(2)},anggota\n"
        f"36.04,Kelompok C,konveksi,,,Ani,{_nik(3)},,,,,,\n"
    )
    c.post(reverse("recipients:import-upload"),
           {"file": SimpleUploadedFile("kelompok.csv", good.encode()), "program": masks_program.pk})
    batch = ImportBatch.objects.latest("created_at")
    assert batch.status == ImportBatch.Status.READY
    c.post(reverse("recipients:import-commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert RecipientGroup.objects.get(name="Kelompok A").members.count() == 2
    assert Application.objects.filter(program=masks_program).count() == 2
    # A double click on "save all": the batch is committed once.
    c.post(reverse("recipients:import-commit", args=[batch.pk]))
    assert RecipientGroup.objects.count() == 2


def test_import_errors_and_inbox_items_are_shown_in_the_readers_language(client, serang_staff, masks_program):
    """Checked while the uploader browses in English, read later in Indonesian, and the other way
    round: the stored message is the same, each reader sees their language."""
    bad = HEADER + (
        "99.99,Kelompok B,masker,,,Budi,,,,,,,\n"                      # unknown regency (a value)
        "36.04,Kelompok C,masker,,,Ani,123,,,,,,\n"                     # bad NIK (no value)
        "36.04,Kelompok D,batik tulis,,,Asep,,,,,,,\n"                  # unknown sector (a value)
    )
    c = as_user(client, serang_staff)
    c.get("/bahasa/en/?next=/")
    c.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile("kelompok.csv", bad.encode())})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID
    assert "Kode wilayah 99.99 tidak dikenal (contoh: 36.04)." in [e["message"] for e in batch.errors]
    detail = reverse("recipients:import-detail", args=[batch.pk])
    english = c.get(detail).content.decode()
    assert "Unknown region code 99.99" in english and "Unknown sector “batik tulis”" in english
    assert "tidak dikenal" not in english
    errors_csv = c.get(reverse("recipients:import-errors", args=[batch.pk])).content.decode()
    assert "Unknown region code 99.99" in errors_csv
    c.get("/bahasa/id/?next=/")
    indonesian = c.get(detail).content.decode()
    assert "Kode wilayah 99.99 tidak dikenal" in indonesian and "Sektor “batik tulis” tidak dikenal" in indonesian

    from accounts.models import Notification
    from accounts.notifications import notify
    notify(users=[serang_staff], kind=Notification.Kind.IMPORT_FAILED, message="Impor %(name)s: gagal.",
           params={"name": "kelompok.csv"}, url=detail)
    inbox = reverse("accounts:inbox")
    assert "Impor kelompok.csv: gagal." in c.get(inbox).content.decode()
    c.get("/bahasa/en/?next=/")
    assert "Import kelompok.csv: failed." in c.get(inbox).content.decode()


def test_ten_thousand_rows_with_fifty_bad_ones_are_all_named_and_nothing_is_written(serang_staff, tmp_path):
    lines = [HEADER]
    bad_rows = set(list(range(100, 10_000, 198))[:50])
    for i in range(10_000):
        group = f"Kelompok {i // 4}"
        nik = f"12345{i}" if i in bad_rows else _nik(i + 10)
        lines.append(f"36.04,{group},masker,,,Ketua {i // 4},,,,,Anggota {i},{nik},anggota\n")
    content = "".join(lines).encode()
    batch = ImportBatch.objects.create(created_by=serang_staff, original_name="besar.csv",
                                       file=SimpleUploadedFile("besar.csv", content))
    imports.batch_validate(batch)
    assert batch.status == ImportBatch.Status.INVALID
    assert sorted(e["row"] for e in batch.errors) == sorted(r + 2 for r in bad_rows)
    assert len(batch.errors) == 50 and batch.rows_total == 10_000
    assert not RecipientGroup.objects.exists() and not Member.objects.exists()


def test_unreadable_file_is_explained(client, serang_staff):
    c = as_user(client, serang_staff)
    c.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile("x.csv", b"nama,umur\nA,1\n")})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID and "Kolom wajib tidak ada" in batch.errors[0]["message"]


# --- rollup and query counts ------------------------------------------------------------------------

def test_rollup_counts_groups_per_state(application, serang_staff):
    from reports.rollup import rollup_run
    from reports.selectors import funnel

    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    rollup_run()
    rows = {r["key"]: r for r in funnel(province=region("36"))}
    assert rows["doc_checked"]["groups"] == 1 and rows["doc_checked"]["beneficiaries"] == 2
    assert rows["proposed"]["groups"] == 0


@pytest.mark.parametrize("count", [2, 20])
def test_group_list_and_queue_query_counts_are_fixed(client, serang_staff, masks_program, count,
                                                     django_assert_num_queries):
    for i in range(count):
        group = services.group_create(actor=serang_staff, data=services.GroupData(
            name=f"Kelompok {i}", regency_id=region("36.04").pk, sector="masks", leader_name="X"))
        services.application_propose(group=group, program=masks_program, actor=serang_staff)
    c = as_user(client, serang_staff)
    c.get(reverse("recipients:group-list"))
    # Includes the session user (with its scope, one query) and the unread-notification count.
    with django_assert_num_queries(5):
        assert c.get(reverse("recipients:group-list")).status_code == 200
    with django_assert_num_queries(6):
        assert c.get(reverse("recipients:queue")).status_code == 200


def test_realization_from_handover_is_visible_on_the_allocation(client, application, serang_staff,
                                                                 banten_officer, masks_program):
    ceiling = CeilingFactory(fiscal_year=2020, amount=10**9)
    allocation = budget.allocation_create(ceiling=ceiling, program=masks_program, amount=100_000_000)
    for state, actor, extra in [(State.DOC_CHECKED, serang_staff, {}),
                                (State.FIELD_CHECKED, serang_staff,
                                 {"answers": {c: {"met": True} for c in masks_program.criteria}}),
                                (State.APPROVED, banten_officer, {"sk_number": "SK-1"})]:
        services.application_advance(application=application, to_state=state, actor=actor, **extra)
    response = as_user(client, banten_officer).post(
        reverse("recipients:application-advance", args=[application.pk]),
        {"move": "delivered", "delivered-to_state": "delivered", "delivered-expected_state": "approved",
         "delivered-allocation": allocation.pk, "delivered-handover_date": "2020-12-01",
         "delivered-handover_items": "Mesin jahit", "delivered-handover_amount": "12.500.000"})
    assert response.status_code == 302
    assert Realization.objects.get(allocation=allocation).amount == 12_500_000
    page = client.get(reverse("programs:allocation-detail", args=[allocation.pk])).content.decode()
    assert "Kelompok Masker Kain Ciruas" in page


def test_large_import_runs_on_the_worker_with_progress(client, serang_staff, celery_worker_thread):
    from tests.conftest import wait_for

    rows = "".join(f"36.04,Kelompok {i},masker,,,Ketua {i},,,,3,Anggota {i},{_nik(i + 5)},anggota\n"
                   for i in range(imports.SYNC_MAX_ROWS + 100))
    c = as_user(client, serang_staff)
    c.post(reverse("recipients:import-upload"), {"file": SimpleUploadedFile("besar.csv", (HEADER + rows).encode())})
    batch = ImportBatch.objects.get()
    page = c.get(reverse("recipients:import-detail", args=[batch.pk])).content.decode()
    assert 'data-live-every="2"' in page or "Siap disimpan" in page  # the page refreshes its progress in place
    wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.READY)
    c.post(reverse("recipients:import-commit", args=[batch.pk]))
    wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.COMMITTED)
    assert RecipientGroup.objects.count() == imports.SYNC_MAX_ROWS + 100
    assert ImportBatch.objects.get(pk=batch.pk).progress_percent == 100
    # The uploader is told twice: ready to save, then saved.
    from accounts.models import Notification

    # The second one is sent by the worker after its commit: wait for it, never read early.
    wait_for(lambda: serang_staff.notifications.count() >= 2)
    texts = list(serang_staff.notifications.order_by("created_at").values_list("kind", "text"))
    assert [k for k, _ in texts] == [Notification.Kind.IMPORT_DONE, Notification.Kind.IMPORT_DONE]
    assert "siap disimpan" in texts[0][1] and "tersimpan" in texts[1][1]


@pytest.mark.parametrize(("who", "expected"), [("banten", 302), ("admin", 200)])
def test_recipients_admin_is_read_only_for_national_admins(client, personas, application, who, expected):
    c = as_user(client, personas[who])
    assert c.get(reverse("admin:recipients_recipientgroup_changelist")).status_code == expected
    if expected == 200:
        page = c.get(reverse("admin:recipients_recipientgroup_change", args=[application.group_id]))
        assert page.status_code == 200 and NIK_SERANG not in page.content.decode()
        assert c.get(reverse("admin:recipients_recipientgroup_add")).status_code == 403


def test_a_lookalike_in_another_regency_is_not_revealed_to_district_staff(client, serang_group, masks_program,
                                                                         serang_staff, lebak_staff, banten_officer,
                                                                         disperindag_banten):
    other_program = ProgramFactory(agency=disperindag_banten, fiscal_year=2020)
    lebak = services.group_create(actor=lebak_staff, data=services.GroupData(
        name="Kelompok Masker Rangkasbitung", regency_id=region("36.02").pk, sector="masks", leader_name="Ujang",
        leader_nik=NIK_SERANG))
    mine = services.application_propose(group=serang_group, program=masks_program, actor=serang_staff)
    services.application_propose(group=lebak, program=other_program, actor=lebak_staff)
    for url in (reverse("recipients:duplicate-list"), reverse("recipients:application-detail", args=[mine.pk])):
        body = as_user(client, serang_staff).get(url).content.decode()
        assert "perlu ditinjau provinsi" in body.lower()
        assert "Rangkasbitung" not in body and "Lebak" not in body and "NIK ketua sama" not in body
    # The province sees the pair, with the reason.
    body = as_user(client, banten_officer).get(reverse("recipients:duplicate-list")).content.decode()
    assert "Rangkasbitung" in body and "Ciruas" in body and "NIK ketua sama" in body


def _approved(application, serang_staff, banten_officer, program):
    for state, actor, extra in [(State.DOC_CHECKED, serang_staff, {}),
                                (State.FIELD_CHECKED, serang_staff,
                                 {"answers": {c: {"met": True} for c in program.criteria}}),
                                (State.APPROVED, banten_officer, {"sk_number": "SK-1"})]:
        services.application_advance(application=application, to_state=state, actor=actor, **extra)


def test_a_refused_handover_is_shown_next_to_its_fields_with_the_input_kept(client, application, serang_staff,
                                                                           banten_officer, masks_program):
    ceiling = CeilingFactory(fiscal_year=2020, amount=10**9)
    allocation = budget.allocation_create(ceiling=ceiling, program=masks_program, amount=10_000_000)
    _approved(application, serang_staff, banten_officer, masks_program)
    before = db_state()
    response = as_user(client, banten_officer).post(
        reverse("recipients:application-advance", args=[application.pk]),
        {"move": "delivered", "delivered-to_state": "delivered", "delivered-expected_state": "approved",
         "delivered-allocation": allocation.pk, "delivered-handover_date": "2020-12-01",
         "delivered-handover_items": "Mesin jahit", "delivered-handover_amount": "12.500.000"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_delivered-handover_amount_error">Melebihi sisa alokasi' in body
    assert 'value="12.500.000"' in body and "Mesin jahit" in body  # nothing typed is lost
    assert "handover_amount:" not in body
    assert db_state() == before and not Realization.objects.exists()


def test_an_open_duplicate_flag_blocks_approval_until_the_province_decides(serang_group, masks_program,
                                                                          serang_staff, banten_officer,
                                                                          disperindag_banten):
    other_program = ProgramFactory(agency=disperindag_banten, fiscal_year=2020)
    lookalike = services.group_create(actor=serang_staff, data=services.GroupData(
        name="KUB Masker Ciruas Baru", regency_id=region("36.04").pk, sector="masks", leader_name="Siti",
        leader_nik=NIK_SERANG))
    first = services.application_propose(group=serang_group, program=masks_program, actor=serang_staff)
    services.application_propose(group=lookalike, program=other_program, actor=serang_staff)
    with pytest.raises(ValidationError, match="indikasi penerima ganda"):
        _approved(first, serang_staff, banten_officer, masks_program)
    first.refresh_from_db()
    assert first.state == State.FIELD_CHECKED
    for flag in DuplicateFlag.objects.filter(application=first):
        services.duplicate_resolve(flag=flag, actor=banten_officer, resolution="Dua usaha berbeda, dicek lapangan")
    services.application_advance(application=first, to_state=State.APPROVED, actor=banten_officer, sk_number="SK-2")
    first.refresh_from_db()
    assert first.state == State.APPROVED


def test_an_ikm_group_cannot_apply_to_a_program_for_families(serang_group, serang_staff, disperindag_banten):
    from programs.models import Program

    uep = ProgramFactory(agency=disperindag_banten, fiscal_year=2021, target_unit=Program.Unit.FAMILIES)
    with pytest.raises(ValidationError, match="untuk KPM"):
        services.application_propose(group=serang_group, program=uep, actor=serang_staff)
    assert not Application.objects.filter(program=uep).exists()


def test_the_return_reason_is_at_the_top_of_the_application_and_on_the_queue_row(client, application,
                                                                                serang_staff, banten_officer):
    services.application_advance(application=application, to_state=State.RETURNED, actor=banten_officer,
                                 note="Fotokopi NIB belum dilampirkan", missing_documents=["Fotokopi NIB"])
    c = as_user(client, serang_staff)
    page = c.get(reverse("recipients:application-detail", args=[application.pk])).content.decode()
    top = page.index('data-testid="return-reason"')
    assert top < page.index('data-testid="state"') and "Fotokopi NIB belum dilampirkan" in page[top:top + 400]
    queue = c.get(reverse("recipients:queue")).content.decode()
    assert "Dikembalikan: Fotokopi NIB belum dilampirkan" in queue
