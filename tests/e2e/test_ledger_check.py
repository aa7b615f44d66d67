"""Journey: a citizen checks a page's records against the public ledger in the browser — anonymous,
from the province page to the realizations' trail, "Periksa" says "Terverifikasi" with the
checkpoint's size; offline, with the tiles already fetched, it says so again (from the kept copy);
and a tampered tile makes it say "Tidak terverifikasi"."""

import re

from playwright.sync_api import expect

from ledger import log


def test_a_citizen_verifies_the_realizations_on_a_trail_page_online_and_offline(site):
    head = log.integrate()
    page = site.page()
    page.goto(f"{site.url}/provinsi/36/")
    page.get_by_test_id("total-realized").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/jejak/realisasi/\?provinsi=36"))
    rows = page.locator("[data-ledger-entry]")
    assert rows.count() >= 1
    page.get_by_test_id("ledger-check").click()
    result = page.get_by_test_id("ledger-result")
    expect(result).to_contain_text("Terverifikasi", timeout=20_000)
    expect(result).to_contain_text(f"{head.size} catatan")
    site.shoot(page, "ledger-check")

    page.context.set_offline(True)
    page.get_by_test_id("ledger-check").click()
    expect(result).to_contain_text("Terverifikasi", timeout=20_000)
    expect(result).to_contain_text("salinan yang tersimpan")
    page.context.set_offline(False)


def test_a_changed_entry_is_not_verified_in_the_browser(site):
    from django.db import connection

    log.integrate()
    page = site.page()
    page.goto(f"{site.url}/jejak/realisasi/?provinsi=36")
    index = int(page.locator("[data-ledger-entry]").first.get_attribute("data-ledger-entry"))
    with connection.cursor() as cursor:
        cursor.execute("BEGIN; SET LOCAL session_replication_role = replica; "
                       "UPDATE ledger_entry SET body = convert_to(replace(convert_from(body, 'UTF8'), "
                       "'\"amount\":', '\"amount\":9'), 'UTF8') WHERE index = %s; COMMIT;", [index])
    page.get_by_test_id("ledger-check").click()
    expect(page.get_by_test_id("ledger-result")).to_contain_text("Tidak terverifikasi", timeout=20_000)
