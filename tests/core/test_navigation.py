"""Each role's menu reaches every page it may use: from the dashboard, following the links of the
header menu and of the pages it opens (two clicks at most), every staff page without an object in
its address that the login may open is found. And the error pages keep the site's menus."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.core.test_permission_matrix import LOGINS, ROWS, demo, expected_status  # noqa: F401

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#?]*)')


def _links(client, url) -> set[str]:
    response = client.get(url)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return set()
    return set(HREF.findall(response.content.decode()))


@pytest.mark.parametrize("login", LOGINS)
def test_every_page_a_role_may_use_is_two_clicks_from_its_menu(client, demo, login):  # noqa: F811
    client.force_login(User.objects.get(username=login))
    menu = _links(client, reverse("dashboard"))
    reached = set(menu)
    for url in sorted(u for u in menu if u.startswith(("/kelola/", "/akun/", "/dasbor/"))):
        reached |= _links(client, url)
    pages = {reverse(name) for name, args, table, _post in ROWS
             if not args and expected_status(login, name, table) == 200}
    assert sorted(pages - reached) == []


@pytest.mark.parametrize("login", [None, "banten"])
def test_the_not_found_page_keeps_the_menus(client, demo, login):  # noqa: F811
    if login:
        client.force_login(User.objects.get(username=login))
    page = client.get("/halaman-yang-tidak-ada/")
    assert page.status_code == 404
    links = set(HREF.findall(page.content.decode()))
    expected = {reverse("reports:aided-groups"), reverse("reports:search")} if login is None else {
        reverse("programs:allocation-list"), reverse("recipients:queue"), reverse("dashboard")}
    assert expected <= links
