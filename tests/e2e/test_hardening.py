"""The strict Content-Security-Policy in a real browser: no page of the journeys trips it (a
refused script or style would break charts and forms), and the refusal pages read well."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _watch(page):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    return refused


def test_no_page_trips_the_csp(site):
    page = site.page()
    refused = _watch(page)
    for path in ("/", "/provinsi/36/", "/kabupaten/36.04/", "/data/", "/cari/?q=masker", "/api/docs/",
                 "/api/redoc/", "/akun/masuk/"):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(site.url + "/provinsi/36/")
    assert page.locator("canvas[data-chart]").first.bounding_box()["height"] > 100  # charts drew
    staff = site.page("serang")
    refused += _watch(staff)
    for path in ("/dasbor/", "/kelola/kelompok/", "/kelola/verifikasi/", "/kelola/impor/", "/kelola/ganda/"):
        staff.goto(site.url + path)
        staff.wait_for_load_state("networkidle")
    # Refusals of outside hosts are the policy working (Redoc's footer logo from its CDN is
    # blocked: visitors' browsers contact nobody else); anything of our own must never be refused.
    ours = [m for m in refused if site.url in m or "inline" in m or "Content Security Policy" not in m]
    assert ours == []


def test_refusal_pages_in_both_widths(site):
    page = site.page()
    page.goto(site.url + "/provinsi/%00/")
    assert "Permintaan tidak valid" in page.content()
    site.shoot(page, "hardening-400")
    page.goto(site.url + "/akun/masuk/")
    for _ in range(10):
        page.fill("#id_username", "banten")
        page.fill("#id_password", "salah")
        page.click("button.primary")
    assert "Terlalu banyak percobaan masuk" in page.content()
    site.shoot(page, "hardening-locked-out")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_forgotten_password_page_from_the_login(site):
    page = site.page()
    page.goto(site.url + "/akun/masuk/")
    page.click("text=Lupa kata sandi?")
    page.fill("#id_email", "rina@example.go.id")
    site.shoot(page, "password-reset-form")
    page.click("text=Kirim tautan")
    assert "Periksa e-mail Anda" in page.content()
    site.shoot(page, "password-reset-sent")


def test_inbox_in_both_widths(site):
    page = site.page("banten")
    page.click("[data-testid=inbox-link]")
    assert page.locator("[data-testid=inbox] li").count() >= 1
    site.shoot(page, "inbox")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_dashboards_per_role(site):
    for username in ("admin", "bpkad", "banten", "serang", "dinsos-serang"):
        page = site.page(username)
        page.goto(site.url + "/dasbor/")
        site.shoot(page, f"dashboard-{username}")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator(".lead").first).to_contain_text("Dinsos kab/kota (KPM) · Kabupaten Serang")


def test_the_coordinator_invites_from_the_user_pages(site):
    page = site.page("bpkad")
    page.goto(site.url + "/dasbor/")
    expect(page.get_by_test_id("province-absorption")).to_contain_text("Disperindag Banten")
    page.get_by_role("link", name="Pengguna provinsi").click()
    expect(page.get_by_test_id("users")).to_contain_text("dinsos-serang")
    expect(page.get_by_test_id("users")).not_to_contain_text("kalsel")
    site.shoot(page, "user-list")
    page.get_by_role("link", name="Undang pengguna").click()
    page.fill("#id_username", "petugas-lebak-2")
    page.fill("#id_first_name", "Euis")
    page.fill("#id_email", "euis@ikmrelief.example")
    page.select_option("#id_role", label="Petugas kabupaten/kota")
    page.select_option("#id_regency", label="36.02 Kabupaten Lebak")
    page.select_option("#id_district_office", label="Disperindag kab/kota (kelompok IKM)")
    site.shoot(page, "user-invite")
    page.click("text=Kirim undangan")
    expect(page.get_by_test_id("scope")).to_contain_text("Disperindag kab/kota (kelompok IKM) · Kabupaten Lebak")
    expect(page.get_by_test_id("scope-history")).to_contain_text("membuat akun")
    site.shoot(page, "user-detail")


def test_a_returned_application_says_why_at_the_top(site):
    page = site.page("serang")
    page.goto(site.url + "/kelola/verifikasi/")
    reason = page.locator(".return-reason").first
    assert reason.is_visible()
    site.shoot(page, "queue-return-reason")
    page.locator("tr", has=reason).locator("a").first.click()
    assert page.get_by_test_id("return-reason").is_visible()
    site.shoot(page, "application-returned")
