"""The app installs on a phone: a manifest in the visitor's language with icons that exist, and a
favicon (``/favicon.ico`` was a 404)."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_manifest_names_the_app_with_icons_that_are_real_pngs(client):
    response = client.get(reverse("core:manifest"))
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["short_name"] == "IKM Relief" and manifest["lang"] == "id"
    assert manifest["start_url"] == reverse("dashboard") and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with open(path, "rb") as f:
            head = f.read(24)
        assert head.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_manifest_follows_the_chosen_language(client):
    client.get(reverse("core:set-language", args=["en"]))
    assert client.get(reverse("core:manifest")).json()["lang"] == "en"


def test_favicon_is_an_icon_and_every_page_links_the_manifest(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
    home = client.get("/").content.decode()
    assert f'rel="manifest" href="{reverse("core:manifest")}"' in home
