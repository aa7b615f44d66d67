"""Journey 9: the field check without a signal, on a phone (360 px).

Kab. Serang staff takes four applications offline from the queue; the browser goes offline; each
check is filled with a photo from the "camera"; the page is reloaded while still offline and the
answers are still there; the connection comes back and the checks sync. The database holds exactly
three new steps with their photo, and the fourth, which the province returned meanwhile, shows
the conflict with what changed and keeps the verifier's answers on the device.
"""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

PHOTO = Path(__file__).resolve().parents[2] / "static" / "icons" / "icon-512.png"
NAMES = ["Kelompok Konveksi Kibin", "Kelompok Masker Cikeusal", "Kelompok Jahit Tanara", "Kelompok Bordir Pontang"]


@pytest.fixture
def four_at_field_check(site):
    from accounts.models import User
    from recipients import services
    from recipients.models import Application, State
    from tests.factories import region

    staff = User.objects.get(username="serang")
    program = Application.objects.filter(group__regency__code="36.04", group__kind="ikm").first().program
    applications = []
    for n, name in enumerate(NAMES):
        group = services.group_create(actor=staff, data=services.GroupData(
            name=name, regency_id=region("36.04").pk, sector="masks", leader_name=f"Ketua {n}",
            members=[services.MemberData(f"Ketua {n}", f"360401440492{n + 11:04d}", "leader")]))
        application = services.application_propose(group=group, program=program, actor=staff)
        services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=staff)
        applications.append(application)
    return applications


def test_field_checks_offline_sync_once_and_a_moved_application_shows_the_conflict(site, four_at_field_check):
    from accounts.models import User
    from recipients import services
    from recipients.models import State, VerificationStep
    from tests.conftest import wait_for

    page = site.page("serang", viewport=PHONE)
    page.goto(f"{site.url}/kelola/verifikasi/")
    for name in NAMES:
        page.get_by_label(f"Pilih {name}").check()
    page.get_by_test_id("take-offline").click()
    cards = page.get_by_test_id("field-card")
    expect(cards).to_have_count(4)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps this page
    expect(cards).to_have_count(4)
    assert page.evaluate("!!navigator.serviceWorker.controller")
    # No NIK in full on the device.
    stored = page.evaluate("IKMOutbox.all('applications').then(a => JSON.stringify(a))")
    assert "3604014404920011" not in stored and "0011" in stored

    # Meanwhile the province returns the fourth application.
    moved = four_at_field_check[3]
    services.application_advance(application=moved, to_state=State.RETURNED, actor=User.objects.get(username="banten"),
                                 note="NIB kelompok belum ada", missing_documents=["NIB"])
    steps_before = VerificationStep.objects.count()

    page.context.set_offline(True)
    expect(page.get_by_test_id("connection")).to_contain_text("Tanpa sinyal")
    for name in NAMES:
        page.locator("[data-testid=field-card]", has_text=name).get_by_test_id("open-check").click()
        form = page.get_by_test_id("field-check")
        for radio in form.locator("input[type=radio][value=met]").all():
            radio.check()
        form.locator("#check-note").fill(f"Bengkel {name} dikunjungi; produksi berjalan.")
        form.locator("#check-photo").set_input_files(str(PHOTO))
        expect(form.get_by_test_id("thumbs").locator("img")).to_have_count(1)
        form.get_by_test_id("save-check").click()
        expect(page.locator("[data-testid=field-card]", has_text=name).get_by_test_id("check-status")).to_have_text(
            "Siap dikirim")
    site.shoot(page, "field-offline-ready")

    page.reload()  # still offline: the service worker serves the page, the device has the answers
    expect(cards).to_have_count(4)
    expect(page.get_by_test_id("check-status").filter(has_text="Siap dikirim")).to_have_count(4)
    assert VerificationStep.objects.count() == steps_before

    page.context.set_offline(False)
    page.get_by_test_id("send-now").click()
    wait_for(lambda: VerificationStep.objects.filter(submission_id__isnull=False).count() == 3)
    conflict = page.locator("[data-testid=field-card]", has_text=NAMES[3]).get_by_test_id("conflict")
    expect(conflict).to_contain_text("NIB kelompok belum ada")
    expect(cards).to_have_count(1)
    expect(page.get_by_test_id("field-sent").locator("li")).to_have_count(3)
    for name in NAMES[:3]:
        expect(page.get_by_test_id("field-sent")).to_contain_text(name)
    # Sent at the site's time (WIB), not the device's UTC clock.
    from django.utils import timezone
    last = VerificationStep.objects.filter(submission_id__isnull=False).latest("created_at")
    sent_at = timezone.localtime(last.created_at)
    sent_text = page.get_by_test_id("field-sent").inner_text()
    minutes = {f"{(sent_at + dt.timedelta(minutes=m)):%H:%M} WIB" for m in (-1, 0, 1)}
    assert any(m in sent_text for m in minutes), (sent_text, minutes)
    site.shoot(page, "field-offline-conflict")

    made = VerificationStep.objects.filter(submission_id__isnull=False)
    assert sorted(s.application.group.name for s in made) == sorted(NAMES[:3])
    assert all(s.to_state == State.FIELD_CHECKED and s.evidence.count() == 1 for s in made)
    assert not VerificationStep.objects.filter(application=moved, actor__username="serang",
                                               from_state=State.DOC_CHECKED).exists()
    kept = page.evaluate(f"IKMOutbox.get('checks', {moved.pk}).then(c => [Object.keys(c.answers).length, c.note])")
    assert kept[0] > 0 and "Bengkel" in kept[1]

    # A second press sends nothing twice.
    page.get_by_test_id("send-now").click()
    page.wait_for_timeout(500)
    assert VerificationStep.objects.filter(submission_id__isnull=False).count() == 3

    # Logging out empties the device.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("link", name="Masuk petugas")).to_be_visible()
    databases = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert "ikmrelief-lapangan" not in databases
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_a_brand_new_profile_keeps_the_field_check_from_its_first_visit(site, four_at_field_check):
    """The first "take to the field" on a fresh browser: no second online visit before going offline."""
    page = site.page("serang", viewport=PHONE)
    page.goto(f"{site.url}/kelola/verifikasi/")
    for name in NAMES[:3]:
        page.get_by_label(f"Pilih {name}").check()
    page.get_by_test_id("take-offline").click()
    cards = page.get_by_test_id("field-card")
    expect(cards).to_have_count(3)
    # The worker installs (keeping the page) and takes this page over without a reload.
    assert page.evaluate("""navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller ? true :
        new Promise(done => navigator.serviceWorker.addEventListener("controllerchange", () => done(true))))""")

    page.context.set_offline(True)
    page.reload()
    expect(cards).to_have_count(3)
    for name in NAMES[:3]:
        expect(page.locator("[data-testid=field-card]", has_text=name)).to_be_visible()
    page.goto(f"{site.url}/kelola/lapangan/")  # the plain address, also offline
    expect(cards).to_have_count(3)
    expect(page.get_by_test_id("connection")).to_contain_text("Tanpa sinyal")
    site.shoot(page, "field-offline-first-visit")
