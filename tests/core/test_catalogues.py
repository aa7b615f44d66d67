"""Every message the product shows is in both catalogues, and the Indonesian follows the glossary.

Each page the journeys visit is requested — the public pages anonymously, each staff URL of the
permission matrix by every demo login that may open it, its form posted back with bad data so the
error messages show too, and a failed sign-in:

- in English, while every ``gettext`` lookup that finds no English entry is recorded (Django's own
  messages, written in English, are those its Indonesian catalogue has). A message missing from
  ``locale/en/LC_MESSAGES/django.po`` (or left fuzzy or empty, so not compiled) fails with its text;
- in Indonesian, where the glossary (README, "Glossary") holds: "kata sandi", never a bare "sandi";
  "Anda", never "anda" — Django's own messages included (``locale/id`` overrides them).
"""

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import trans_real

from accounts.models import User
from tests.core.test_permission_matrix import LOGINS, ROWS, _objects, demo, expected_status  # noqa: F401

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/provinsi/36/", "/provinsi/63/", "/kabupaten/36.04/", "/cari/?q=masker", "/cari/?q=jahit",
          "/penerima/", "/penerima/?provinsi=36", "/jejak/realisasi/", "/jejak/alokasi/?provinsi=36",
          "/jejak/kelompok/", "/jejak/pagu/", "/definisi/", "/data/", "/akun/masuk/", "/akun/sandi/lupa/",
          "/halaman-yang-tidak-ada/", "/provinsi/36/?tahun=abc", "/buku-besar/"]
OFF_GLOSSARY = re.compile(r"(?<![Kk]ata )\b[Ss]andi\b|\banda\b")


@pytest.fixture
def untranslated(monkeypatch):
    """The messages looked up in English without an English entry, with where they were asked."""
    missing: dict[str, str] = {}
    lookup = trans_real.DjangoTranslation.gettext
    where = {"url": ""}
    django_own = trans_real.translation("id")._catalog

    def recording(self, message):
        if self.language() == "en" and message and message not in self._catalog and message not in django_own:
            missing.setdefault(message, where["url"])
        return lookup(self, message)

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", recording)
    return missing, where


def _pages(client, login, where):
    """(url, response) for every page of the journeys this client (signed in as ``login``) may open."""
    from programs.models import Program

    if login is None:
        program = Program.objects.filter(agency__short_name="Disperindag Banten").order_by("id").first()
        for url in [*PUBLIC, f"/program/{program.pk}/"]:
            where["url"] = url
            yield url, client.get(url)
        where["url"] = "POST /akun/masuk/"
        yield "POST /akun/masuk/", client.post("/akun/masuk/", {"username": "serang", "password": "salah"})
        return
    client.force_login(User.objects.get(username=login))
    for name, args, table, post in ROWS:
        if expected_status(login, name, table) != 200:
            continue
        url = reverse(name, args=[demo_ids[a] for a in args])
        where["url"] = url
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response
        if post is not None:
            where["url"] = f"POST {url}"
            yield where["url"], client.post(url, post)


demo_ids: dict = {}


@pytest.fixture
def pages(demo):  # noqa: F811
    demo_ids.clear()
    demo_ids.update(demo)
    return _pages


@pytest.mark.parametrize("login", [None, *LOGINS])
def test_every_message_has_its_english(client, pages, untranslated, login):
    missing, where = untranslated
    client.get("/bahasa/en/?next=/")
    for url, response in pages(client, login, where):
        assert response.status_code < 500, url
    assert missing == {}


@pytest.mark.parametrize("login", [None, *LOGINS])
def test_indonesian_pages_follow_the_glossary(client, pages, login):
    off = {}
    for url, response in pages(client, login, {"url": ""}):
        assert response.status_code < 500, url
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            continue
        # The print footer is the page's address (/akun/sandi/lupa/), not words to read.
        body = re.sub(r'<div class="print-footer".*?</div>', "", response.content.decode(), flags=re.S)
        text = strip_tags(body)
        for m in OFF_GLOSSARY.finditer(text):
            off.setdefault(url, set()).add(text[max(0, m.start() - 40):m.end() + 40].strip())
    assert off == {}
