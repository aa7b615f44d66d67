"""The citizen's path to a regency's groups: ``/penerima/`` by regency, program and year, searchable
by a word of the group's published name, linked with the right filter from the regency and program
pages, and the same list as a CSV resource of the Data Package. A withheld name is never found."""

import csv
import io

import pytest
from django.urls import reverse

from recipients.models import Application, State
from tests.core.test_permission_matrix import demo  # noqa: F401

pytestmark = pytest.mark.django_db


def _names(client, **params) -> list[str]:
    page = client.get(reverse("reports:aided-groups"), params)
    assert page.status_code == 200
    return [row["group"]["public_name"] for row in page.context["page"].object_list]


def _csv_names(client, **params) -> list[str]:
    response = client.get(reverse("opendata:aided-groups"), params)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [r["group"] for r in rows]


def test_filters_search_and_the_csv_agree(client, demo):  # noqa: F811
    aided = Application.objects.filter(state__in=[State.APPROVED, State.DELIVERED], group__kind="ikm").select_related(
        "group__regency", "program")
    one = aided.order_by("id").first()
    regency = one.group.regency
    in_regency = sorted(a.group.name for a in aided.filter(group__regency=regency))
    assert sorted(_names(client, kabupaten=regency.code)) == in_regency
    assert sorted(_csv_names(client, kabupaten=regency.code)) == in_regency
    word = one.group.name.split()[-1]
    found = _names(client, q=word.lower())
    assert one.group.name in found and all(word.lower() in n.lower() for n in found)
    assert sorted(_csv_names(client, q=word)) == sorted(found)
    year = one.program.fiscal_year
    assert set(_names(client, tahun=year)) == {a.group.name for a in aided.filter(program__fiscal_year=year)}
    assert _names(client, tahun=2099) == []
    assert _names(client, program=one.program_id, kabupaten=regency.code) == [
        a.group.name for a in aided.filter(program=one.program, group__regency=regency).order_by("-id")]
    # Nonsense is no filter, never an error.
    nonsense = {"kabupaten": "x", "tahun": "２０２０", "q": "'"}
    assert client.get(reverse("reports:aided-groups"), nonsense).status_code == 200
    # A name the province withholds is not found by typing it, on the page, in the CSV or in search.
    type(one.group).objects.filter(pk=one.group_id).update(name_withheld_reason="Permintaan kelompok")
    assert one.group.name not in _names(client, q=word)
    assert one.group.name not in _csv_names(client, kabupaten=regency.code)
    assert one.group.name not in client.get(reverse("reports:search"), {"q": word}).content.decode()


def test_the_regency_page_links_to_its_groups_and_search_finds_a_group(client, demo):  # noqa: F811
    one = Application.objects.filter(state__in=[State.APPROVED, State.DELIVERED], group__kind="ikm").select_related(
        "group__regency").order_by("id").first()
    code = one.group.regency.code
    page = client.get(reverse("reports:regency-detail", args=[code])).content.decode()
    assert f'href="/penerima/?kabupaten={code}' in page
    word = one.group.name.split()[1]
    found = client.get(reverse("reports:search"), {"q": word}).content.decode()
    assert one.group.name in found.split('data-testid="search-groups"')[1].split("</ul>")[0]
    program = client.get(reverse("reports:program-detail", args=[one.program_id])).content.decode()
    assert f"/penerima/?program={one.program_id}" in program
