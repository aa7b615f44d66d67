"""Browser journeys: Playwright (Python) driving Debian's Chromium against the live server,
with real PostgreSQL, Redis and a Celery worker. Screenshots go to screenshots/ (git-ignored).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_data(regions):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    call_command("rollup", verbosity=0)
    call_command("flags", verbosity=0)


@pytest.fixture
def site(live_server, demo_data, browser):
    """A helper with a fresh browser context per persona."""

    class Site:
        url = live_server.url

        def __init__(self):
            self.contexts = []

        def page(self, username=None, viewport=DESKTOP, **context_options):
            context = browser.new_context(viewport=viewport, locale="id-ID", **context_options)
            self.contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            if username:
                page.goto(f"{self.url}/akun/masuk/")
                page.fill("#id_username", username)
                page.fill("#id_password", "ikmrelief-demo")
                page.click("button.primary")
                page.wait_for_url(f"{self.url}/dasbor/")
            return page

        def shoot(self, page, name):
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
            size = page.viewport_size
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
            page.set_viewport_size(size)

    s = Site()
    yield s
    for context in s.contexts:
        context.close()
