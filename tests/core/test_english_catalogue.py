"""Every message the product shows is in the English catalogue.

Each page the journeys visit is requested in English — the public pages anonymously, each staff
URL of the permission matrix by every demo login that may open it, its form posted back with bad
data so the error messages show too — while every ``gettext`` lookup that finds no English entry
is recorded (Django's own messages, written in English, are those its Indonesian catalogue
has). A message missing from ``locale/en/LC_MESSAGES/django.po`` (or left fuzzy or empty,
so not compiled) fails the test with its text.
"""

import pytest
from django.urls import reverse
from django.utils.translation import trans_real

from accounts.models import User
from tests.core.test_permission_matrix import LOGINS, ROWS, _objects, demo, expected_status  # noqa: F401

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/provinsi/36/", "/provinsi/63/", "/kabupaten/36.04/", "/cari/?q=masker", "/cari/?q=jahit",
          "/penerima/", "/penerima/?provinsi=36", "/jejak/realisasi/", "/jejak/alokasi/?provinsi=36",
          "/jejak/kelompok/", "/jejak/pagu/", "/definisi/", "/data/", "/akun/masuk/", "/akun/sandi/lupa/",
          "/halaman-yang-tidak-ada/", "/provinsi/36/?tahun=abc"]


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


def _english(client):
    client.get("/bahasa/en/?next=/")


def test_public_pages_have_every_message_in_english(client, demo, untranslated):  # noqa: F811
    from programs.models import Program

    missing, where = untranslated
    _english(client)
    program = Program.objects.filter(agency__short_name="Disperindag Banten").order_by("id").first()
    for url in [*PUBLIC, f"/program/{program.pk}/"]:
        where["url"] = url
        response = client.get(url)
        assert response.status_code < 500, url
    assert missing == {}


@pytest.mark.parametrize("login", LOGINS)
def test_staff_pages_have_every_message_in_english(client, demo, untranslated, login):  # noqa: F811
    missing, where = untranslated
    client.force_login(User.objects.get(username=login))
    _english(client)
    for name, args, table, post in ROWS:
        if expected_status(login, name, table) != 200:
            continue
        url = reverse(name, args=[demo[a] for a in args])
        where["url"] = url
        assert client.get(url).status_code == 200, url
        if post is not None:
            where["url"] = f"POST {url}"
            assert client.post(url, post).status_code < 500, url
    assert missing == {}
