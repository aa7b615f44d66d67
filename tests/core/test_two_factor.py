"""Two-factor sign-in, the keys of an account, and reset abuse (issue 29).

The codes are computed as an authenticator app would, with django-otp's own TOTP over the
device's key; mail goes through a real SMTP server and the real Celery worker."""

import re
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import load_users
from accounts.models import AccountEvent, User
from programs.demo import load_budgets
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

PASSWORD = "ikmrelief-demo"


@pytest.fixture
def demo(regions):
    load_budgets()
    load_users()
    return {u.username: u for u in User.objects.all()}


def _sign_in(client, username, password=PASSWORD):
    return client.post("/akun/masuk/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.20")


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/akun/dua-langkah/daftar/?next=/dasbor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()  # the QR code, drawn inline
    device = TOTPDevice.objects.get(confirmed=False)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    assert secret.rstrip("=")  # the key to type by hand
    done = client.post("/akun/dua-langkah/daftar/", {"code": _code(device), "next": "/dasbor/"})
    assert done.status_code == 302 and done["Location"].startswith("/akun/dua-langkah/kode-pemulihan/")
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", codes_page)
    assert len(codes) == 10
    assert re.findall(r"<li><code>", client.get("/akun/dua-langkah/kode-pemulihan/").content.decode()) == []
    device.refresh_from_db()
    return device, codes


def test_staff_enrol_an_authenticator_then_sign_in_with_password_and_code(demo):
    c = Client()
    assert _sign_in(c, "serang").status_code == 302
    # With the password alone every staff page leads to enrolment; public pages stay open.
    first = c.get("/kelola/kelompok/")
    assert first.status_code == 302 and first["Location"].startswith("/akun/dua-langkah/daftar/")
    assert c.get("/").status_code == 200
    device, codes = _enrol(c)
    assert device.confirmed
    assert c.get("/kelola/kelompok/").status_code == 200
    assert list(AccountEvent.objects.filter(user=demo["serang"]).values_list("kind", flat=True).order_by("id")) == [
        AccountEvent.Kind.TOTP_ENROLLED, AccountEvent.Kind.RECOVERY_CODES]

    c.post("/akun/keluar/")
    c = Client()
    assert _sign_in(c, "serang").status_code == 302
    step = c.get("/kelola/kelompok/")
    assert step.status_code == 302 and step["Location"].startswith("/akun/dua-langkah/?")
    # A replayed code is refused (TOTP codes are single-use), a fresh one lets in.
    time.sleep(0)  # the enrolment code was used at this time step
    ok = c.post("/akun/dua-langkah/", {"code": _code(device, offset=1), "next": "/kelola/kelompok/"})
    assert ok.status_code == 302 and ok["Location"] == "/kelola/kelompok/"
    assert c.get("/kelola/kelompok/").status_code == 200


def test_three_wrong_codes_end_the_sign_in(demo):
    c = Client()
    _sign_in(c, "banten")
    device, _codes = _enrol(c)
    c.post("/akun/keluar/")
    c = Client()
    _sign_in(c, "banten")
    for attempt in (1, 2):
        page = c.post("/akun/dua-langkah/", {"code": "000000"})
        assert page.status_code == 200 and "Kode salah" in page.content.decode(), attempt
    third = c.post("/akun/dua-langkah/", {"code": "000000"})
    assert third.status_code == 302 and third["Location"] == "/akun/masuk/"
    assert "_auth_user_id" not in c.session
    # The right code now changes nothing: the password comes first again.
    after = c.post("/akun/dua-langkah/", {"code": _code(device, offset=1)})
    assert after.status_code == 302 and after["Location"].startswith("/akun/masuk/")


def test_a_recovery_code_signs_in_once(demo):
    c = Client()
    _sign_in(c, "dinsos")
    _device, codes = _enrol(c)
    for expected in (302, 200):
        c = Client()
        _sign_in(c, "dinsos")
        response = c.post("/akun/dua-langkah/", {"code": codes[0], "next": "/dasbor/"})
        assert response.status_code == expected
    assert AccountEvent.objects.filter(user=demo["dinsos"], kind=AccountEvent.Kind.RECOVERY_USED).count() == 1


def test_a_coordinator_resets_a_lost_second_factor_and_it_is_recorded(demo):
    c = Client()
    _sign_in(c, "serang")
    _enrol(c)
    coordinator = Client()
    coordinator.force_login(demo["bpkad"])
    # The coordinator's own session passes its second step first.
    _enrol(coordinator)
    serang = demo["serang"]
    assert "Reset faktor kedua" in coordinator.get(f"/akun/pengguna/{serang.pk}/").content.decode()
    assert coordinator.post(f"/akun/pengguna/{serang.pk}/faktor-kedua/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=serang).exists()
    assert not StaticDevice.objects.filter(user=serang).exists()
    event = AccountEvent.objects.get(user=serang, kind=AccountEvent.Kind.TOTP_RESET)
    assert event.actor == demo["bpkad"]
    # At the next sign-in serang enrols again.
    again = Client()
    _sign_in(again, "serang")
    assert again.get("/dasbor/")["Location"].startswith("/akun/dua-langkah/daftar/")


def test_an_account_with_a_factor_cannot_replace_it_with_the_password_alone(demo):
    c = Client()
    _sign_in(c, "serang")
    _enrol(c)
    thief = Client()
    _sign_in(thief, "serang")
    response = thief.get("/akun/dua-langkah/daftar/")
    assert response.status_code == 302 and response["Location"].startswith("/akun/dua-langkah/?")


def test_the_demo_bypass_covers_the_demo_logins_only_and_deploy_refuses_it(demo, settings):
    settings.DEMO_SKIP_TWO_FACTOR = True
    c = Client()
    _sign_in(c, "serang")
    assert c.get("/kelola/kelompok/").status_code == 200
    User.objects.create_user("petugas-baru", email="baru@serangkab.go.id", password="Sandi-Baru-Panjang-1",
                             role=User.Role.DISTRICT_STAFF, province=demo["serang"].province,
                             regency=demo["serang"].regency, district_office=User.Office.IKM)
    other = Client()
    _sign_in(other, "petugas-baru", "Sandi-Baru-Panjang-1")
    assert other.get("/kelola/kelompok/").status_code == 302
    with pytest.raises(SystemCheckError, match="DEMO_SKIP_TWO_FACTOR"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_passwords_follow_bssn_rules(demo, settings):
    settings.TWO_FACTOR_REQUIRED = False  # the password page itself, not the sign-in
    c = Client()
    c.force_login(demo["serang"])
    for weak in ("pendek-1", "serang@ikmrelief", "123456789012", "password1234"):
        page = c.post("/akun/sandi/", {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak})
        assert page.status_code == 200, weak
    assert demo["serang"].check_password(PASSWORD)


# --- The address and the password: only their owner, confirmed, recorded, told --------------------


def _body(message) -> str:
    part = message if not message.is_multipart() else message.get_payload(0)
    return part.get_payload(decode=True).decode()


def test_the_owner_changes_the_address_through_a_link_to_the_new_one(demo, smtp_server, celery_worker_thread,
                                                                   settings):
    settings.TWO_FACTOR_REQUIRED = False  # the account page itself, not the sign-in
    serang = demo["serang"]
    c = Client()
    c.force_login(serang)
    c.get("/akun/saya/")
    refused = c.post("/akun/saya/", {"new_email": "sari@baru.go.id", "password": "salah"})
    assert refused.status_code == 200 and "Kata sandi tidak cocok" in refused.content.decode()
    assert c.post("/akun/saya/", {"new_email": "bpkad@ikmrelief.example", "password": PASSWORD}).status_code == 200
    assert c.post("/akun/saya/", {"new_email": "sari@baru.go.id", "password": PASSWORD}).status_code == 302
    wait_for(lambda: len(smtp_server.messages) >= 2)
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert set(by_to) == {"sari@baru.go.id", "serang@ikmrelief.example"}
    assert "sari@baru.go.id" in _body(by_to["serang@ikmrelief.example"])  # the old address is told
    serang.refresh_from_db()
    assert serang.email == "serang@ikmrelief.example"  # nothing changes before the link is opened
    path = re.search(r"https?://[^/\s]+(/akun/e-mail/konfirmasi/\S+)", _body(by_to["sari@baru.go.id"])).group(1)
    assert "sari@baru.go.id" in Client().get(path).content.decode()
    serang.refresh_from_db()
    assert serang.email == "serang@ikmrelief.example"  # opening (a mail scanner) is not confirming
    assert Client().post(path).status_code == 302
    serang.refresh_from_db()
    assert serang.email == "sari@baru.go.id"
    assert Client().post(path).status_code == 400  # used once
    kinds = list(serang.account_events.order_by("id").values_list("kind", "detail"))
    assert kinds == [(AccountEvent.Kind.EMAIL_CHANGE_REQUESTED, "serang@ikmrelief.example → sari@baru.go.id"),
                     (AccountEvent.Kind.EMAIL_CHANGED, "serang@ikmrelief.example → sari@baru.go.id")]


def test_account_events_cannot_be_altered_or_deleted(demo):
    from django.db import InternalError, transaction

    event = AccountEvent.objects.create(user=demo["serang"], kind=AccountEvent.Kind.UNLOCKED)
    for write in (lambda: AccountEvent.objects.filter(pk=event.pk).update(detail="x"),
                  lambda: AccountEvent.objects.filter(pk=event.pk).delete()):
        with pytest.raises(InternalError), transaction.atomic():
            write()
    assert AccountEvent.objects.get(pk=event.pk).detail == ""


def test_thirty_resets_for_one_user_send_at_most_the_hourly_limit(demo, smtp_server, celery_worker_thread, settings):
    c = Client()
    for _ in range(30):
        response = c.post("/akun/sandi/lupa/", {"email": "banten@ikmrelief.example"}, REMOTE_ADDR="203.0.113.30")
        assert response.status_code == 302  # the same answer every time
    wait_for(lambda: len(smtp_server.messages) >= settings.PASSWORD_RESETS_PER_USER_HOUR)
    time.sleep(1)  # anything more would have arrived by now
    assert len(smtp_server.messages) == settings.PASSWORD_RESETS_PER_USER_HOUR
