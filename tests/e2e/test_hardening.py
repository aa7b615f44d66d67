"""The strict Content-Security-Policy in a real browser: no page of the journeys trips it (a
refused script or style would break charts and forms), and the refusal pages read well."""

import pytest

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
    for username in ("admin", "banten", "serang"):
        page = site.page(username)
        page.goto(site.url + "/dasbor/")
        site.shoot(page, f"dashboard-{username}")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_returned_application_says_why_at_the_top(site):
    page = site.page("serang")
    page.goto(site.url + "/kelola/verifikasi/")
    reason = page.locator(".return-reason").first
    assert reason.is_visible()
    site.shoot(page, "queue-return-reason")
    page.locator("tr", has=reason).locator("a").first.click()
    assert page.get_by_test_id("return-reason").is_visible()
    site.shoot(page, "application-returned")
