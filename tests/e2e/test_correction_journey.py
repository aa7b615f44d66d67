"""Journey 7: the correction loop, as two offices live it. Disperindag Banten returns a field-checked
application naming the criterion that failed; Kab. Serang is told (at the top of its inbox and by
e-mail, read from a real SMTP server), corrects the group's members, resubmits straight to the field
re-check where only that criterion is asked; Disperindag is told of the correction and that it is
ready, and approves; Kab. Serang is told of the approval. Each step is one notification and one
e-mail."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Notification
from recipients.models import Application, State

GROUP = "Kelompok Konveksi Mandiri Anyer"
FAILED = "Produk belum memenuhi SNI"
NEW_MEMBER_NIK = "3604014404920003"


def _about_group(smtp_server):
    """The mails about this journey's group (loading the demo data mails about its own returns)."""
    return [m for m in smtp_server.messages if GROUP in _subject(m)]


def _subject(message) -> str:
    return " ".join(str(message["Subject"]).split())  # long subjects arrive folded


def _mail_to(smtp_server, address, count):
    from tests.conftest import wait_for

    wait_for(lambda: len([m for m in _about_group(smtp_server) if m["To"] == address]) >= count, timeout=30)
    return [m for m in _about_group(smtp_server) if m["To"] == address]


def _mail_at(smtp_server, index, to, subject):
    from tests.conftest import wait_for

    wait_for(lambda: len(_about_group(smtp_server)) > index, timeout=30)
    mail = _about_group(smtp_server)[index]
    assert mail["To"] == to and _subject(mail).startswith(subject), (mail["To"], _subject(mail))


def _one_unread_about_the_group(page, username):
    """Exactly one unread notification about the group (what waited before was marked read when
    the application moved), and the navigation counts every unread one."""
    unread = Notification.objects.filter(user__username=username, read_at__isnull=True)
    assert unread.filter(text__contains=GROUP).count() == 1
    expect(page.get_by_test_id("inbox-link").locator(".badge")).to_have_text(str(unread.count()))


@pytest.mark.e2e
def test_7_return_correct_resubmit_recheck_only_what_failed_approve(site, smtp_server, celery_worker_thread):
    application = Application.objects.get(group__name=GROUP)
    assert application.state == State.FIELD_CHECKED
    url = f"{site.url}/kelola/usulan/{application.pk}/"
    started = timezone.now()

    # Disperindag Banten sends it back, naming the failed criterion.
    officer = site.page("banten")
    officer.goto(url)
    officer.locator("summary", has_text="Kembalikan untuk perbaikan").click()
    form = officer.locator("form", has=officer.locator("button[value=returned]"))
    # Only what failed is marked; what the field check passed stays passed.
    form.locator("fieldset", has_text=FAILED).get_by_label("Tidak terpenuhi", exact=True).check()
    form.locator("textarea[name='returned-note']").fill("Masker belum diuji SNI; lampirkan hasil uji.")
    form.locator("button[value=returned]").click()
    expect(officer.get_by_test_id("state")).to_have_text("Dikembalikan untuk perbaikan")

    (returned_mail,) = _mail_to(smtp_server, "serang@ikmrelief.example", 1)
    assert _subject(returned_mail).startswith("IKM Relief: Dikembalikan untuk perbaikan")
    # One worker sends in order: the demo data's own mails about this group came before.
    baseline = _about_group(smtp_server).index(returned_mail)

    # Kab. Serang: one unread notification, which leads to the application and says what failed.
    district = site.page("serang")
    _one_unread_about_the_group(district, "serang")
    district.goto(f"{site.url}/akun/kotak-masuk/")
    expect(district.get_by_test_id("inbox").locator("li").first).to_contain_text(GROUP)  # newest first
    district.locator("li.unread").get_by_role("link", name=re.compile(f"Dikembalikan untuk perbaikan: {GROUP}")).click()
    expect(district.get_by_test_id("return-criteria")).to_have_text(FAILED)
    site.shoot(district, "7-returned-names-what-failed")

    district.get_by_role("link", name="Perbaiki data kelompok").click()
    members = district.locator("#id_members_text")
    members.fill(members.input_value() + f"\nRina Sutisna; {NEW_MEMBER_NIK}; anggota")
    district.click("text=Simpan kelompok")
    expect(district.get_by_test_id("return-reason")).to_be_visible()
    district.locator("button[value=doc_checked]").click()   # back to the step that failed
    expect(district.get_by_test_id("state")).to_have_text("Lolos cek dokumen")
    _mail_at(smtp_server, baseline + 1, "banten@ikmrelief.example", "IKM Relief: Sudah diperbaiki")

    # Only the failed criterion is asked again; the others are shown passed, with who and when.
    field_form = district.locator("form", has=district.locator("button[value=field_checked]"))
    expect(field_form.locator("fieldset")).to_have_count(1)
    expect(field_form.locator("fieldset legend")).to_have_text(FAILED)
    expect(district.get_by_test_id("carried")).to_contain_text("Memproduksi masker kain")
    expect(district.get_by_test_id("carried")).to_contain_text("Sari Disperindag Kab. Serang")  # who checked it
    site.shoot(district, "7-recheck-only-what-failed")
    field_form.get_by_label("Terpenuhi", exact=True).check()
    field_form.locator("input[name='field_checked-criterion_0_note']").fill("Sertifikat uji SNI terlampir")
    field_form.locator("button[value=field_checked]").click()
    expect(district.get_by_test_id("state")).to_have_text("Lolos cek lapangan")

    _mail_at(smtp_server, baseline + 2, "banten@ikmrelief.example", "IKM Relief: Siap disetujui")

    # Disperindag: told once, approves.
    officer.goto(f"{site.url}/akun/kotak-masuk/")
    _one_unread_about_the_group(officer, "banten")
    officer.locator("li.unread").get_by_role("link", name=re.compile(f"Siap disetujui: {GROUP}")).click()
    officer.fill("#id_approved-sk_number", "SK-36/045/DISPERINDAG/2020")
    officer.locator("button[value=approved]").click()
    expect(officer.get_by_test_id("state")).to_have_text("Disetujui provinsi")
    _mail_at(smtp_server, baseline + 3, "serang@ikmrelief.example", "IKM Relief: Disetujui (SK SK-36/045")
    district.goto(f"{site.url}/akun/kotak-masuk/")
    _one_unread_about_the_group(district, "serang")

    application.refresh_from_db()
    steps = list(application.steps.order_by("created_at", "id").values_list("to_state", flat=True))
    assert steps[-4:] == [State.RETURNED, State.DOC_CHECKED, State.FIELD_CHECKED, State.APPROVED]
    recheck = application.steps.filter(to_state=State.FIELD_CHECKED).order_by("-created_at").first()
    assert recheck.answers[FAILED]["note"] == "Sertifikat uji SNI terlampir"
    assert len(recheck.answers) == 4
    assert [m["To"] for m in _about_group(smtp_server)[baseline:]] == [
        "serang@ikmrelief.example", "banten@ikmrelief.example", "banten@ikmrelief.example",
        "serang@ikmrelief.example"]
    assert application.group.members.filter(nik=NEW_MEMBER_NIK, name="Rina Sutisna").exists()
    assert Notification.objects.filter(text__contains=GROUP, created_at__gte=started).count() == 4
