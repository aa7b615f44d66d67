"""Journey 10: a district officer enrols an authenticator app, signs out, signs in with password
and code; three wrong codes end the sign-in; the coordinator resets the lost factor. The codes
are computed from the device's key with django-otp's own TOTP, as the phone app would."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import AccountEvent, User
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.two_factor]


def _code(username: str, drift: int = 0) -> str:
    device = TOTPDevice.objects.filter(user__username=username).order_by("-id").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _password(site, page, username):
    page.goto(f"{site.url}/akun/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", "ikmrelief-demo")
    page.click("button.primary")


def _sign_out(page):
    page.locator("form[action='/akun/keluar/'] button").click()
    page.wait_for_url(lambda url: "/dasbor/" not in url)
    page.wait_for_load_state()


def test_10_enrol_sign_in_with_a_code_wrong_codes_and_a_coordinator_reset(site):
    phone = site.page(viewport=PHONE)
    _password(site, phone, "serang")
    # Every staff page leads to enrolment first.
    phone.wait_for_url(re.compile(r"/akun/dua-langkah/daftar/"))
    expect(phone.get_by_role("heading", name="Daftarkan aplikasi autentikator")).to_be_visible()
    assert phone.locator("[data-testid=totp-qr] svg").bounding_box()["width"] > 150
    assert re.fullmatch(r"[A-Z2-7]+", phone.locator("[data-testid=totp-secret]").inner_text())
    site.shoot(phone, "10-enrol")
    phone.fill("#id_code", _code("serang"))
    phone.click("main button.primary")
    expect(phone.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    site.shoot(phone, "10-recovery-codes")
    phone.click("text=Lanjut")
    phone.wait_for_url(f"{site.url}/dasbor/")
    _sign_out(phone)

    # Signing in again: the password, then a code.
    _password(site, phone, "serang")
    phone.wait_for_url(re.compile(r"/akun/dua-langkah/\?"))
    phone.fill("#id_code", _code("serang", drift=1))
    phone.click("main button.primary")
    phone.wait_for_url(f"{site.url}/dasbor/")
    _sign_out(phone)

    # Three wrong codes: refused twice with what is left, then the sign-in ends.
    _password(site, phone, "serang")
    phone.wait_for_url(re.compile(r"/akun/dua-langkah/\?"))
    for left in (2, 1):
        phone.fill("#id_code", "000000")
        phone.click("main button.primary")
        expect(phone.locator(".field .error")).to_contain_text(f"Sisa percobaan: {left}")
    site.shoot(phone, "10-wrong-code")
    phone.fill("#id_code", "000000")
    phone.click("main button.primary")
    phone.wait_for_url(re.compile(r"/akun/masuk/"))
    expect(phone.locator("main")).to_contain_text("Kode salah 3 kali")

    # The phone is lost: the coordinator resets the factor (after its own second step).
    desk = site.page()
    _password(site, desk, "bpkad")
    desk.wait_for_url(re.compile(r"/akun/dua-langkah/daftar/"))
    desk.fill("#id_code", _code("bpkad"))
    desk.click("main button.primary")
    serang = User.objects.get(username="serang")
    desk.goto(f"{site.url}/akun/pengguna/{serang.pk}/")
    desk.once("dialog", lambda dialog: dialog.accept())  # "Reset faktor kedua?"
    desk.get_by_role("button", name="Reset faktor kedua (ponsel hilang)").click()
    expect(desk.locator(".messages")).to_contain_text("Faktor kedua serang direset")
    expect(desk.locator("[data-testid=account-events]")).to_contain_text("Faktor kedua direset")
    site.shoot(desk, "10-coordinator-reset")
    assert AccountEvent.objects.filter(user=serang, kind=AccountEvent.Kind.TOTP_RESET,
                                       actor__username="bpkad").count() == 1
    # serang enrols again at the next sign-in.
    _password(site, phone, "serang")
    phone.wait_for_url(re.compile(r"/akun/dua-langkah/daftar/"))
