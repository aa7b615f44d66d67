"""Staff lists that cost the same at 10 rows or 10 million (issue 14): seek pagination, capped
counts, totals from the running totals, the group's own province column, trigram search, and
query counts that do not grow with rows. The times at national scale are in ``make bench``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse

from core import pagination
from programs import services as budget
from programs.models import Realization
from recipients import services
from recipients.models import RecipientGroup
from tests.factories import CeilingFactory, ProgramFactory, region

pytestmark = pytest.mark.django_db


def _realizations(officer, count, *, province="36", same_day_every=3):
    """``count`` realizations over two allocations, several on each date (ties the cursor must break)."""
    ceiling = CeilingFactory(amount=10**12, fiscal_year=2021, province=region(province))
    allocations = [budget.allocation_create(ceiling=ceiling, program=ProgramFactory(agency=officer.agency),
                                            amount=10**10, regency=regency)
                   for regency in (None, region(f"{province}.01"))]  # the whole province, and one regency
    for i in range(count):
        budget.realization_create(allocation=allocations[i % 2], date=dt.date(2021, 1, 1) + dt.timedelta(
            days=i // same_day_every), amount=1000 + i, description=f"Realisasi {i}")
    return allocations


def _groups(staff, count, regency="36.04", prefix="Kelompok"):
    for i in range(count):
        services.group_create(actor=staff, data=services.GroupData(
            name=f"{prefix} {i:03d}", regency_id=region(regency).pk, sector="masks", leader_name=f"Ketua {i}"))


def _walk(client, url, *, direction="next"):
    """Every page from the first by the next links (then back by the previous links)."""
    seen, query = [], ""
    pages = []
    while True:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        page = response.context["page"]
        pages.append(page)
        seen.extend(row.pk for row in page)
        if not page.has_next:
            return seen, pages
        query = page.next_query


def test_walking_every_page_forward_and_back_sees_each_realization_once_in_order(client, banten_officer,
                                                                                    settings):
    settings.PAGINATE_BY = 5
    _realizations(banten_officer, 23)
    client.force_login(banten_officer)
    url = reverse("programs:realization-list")
    seen, pages = _walk(client, url)
    expected = list(Realization.objects.order_by("-date", "-id").values_list("pk", flat=True))
    assert seen == expected and len(pages) == 5
    # Back from the last page by "Sebelumnya": the same pages in reverse.
    back, query = [], pages[-1].previous_query
    while query:
        page = client.get(f"{url}?{query}").context["page"]
        back[:0] = [row.pk for row in page]
        query = page.previous_query if page.has_previous else ""
    assert back == expected[:20]
    assert pages[0].count == 23 and not pages[0].count_capped


@pytest.mark.parametrize("cursor", ["after=zzz", "after=W10", "before=WyIyMDIxIiwgMV0", "after=WyJ4IiwgInkiXQ",
                                    "after=%D9%A1%D9%A2", "after=WzEsMiwzXQ", "before=bnVsbA"])
def test_a_forged_or_broken_cursor_shows_the_first_page(client, banten_officer, settings, cursor):
    settings.PAGINATE_BY = 5
    _realizations(banten_officer, 8)
    client.force_login(banten_officer)
    response = client.get(reverse("programs:realization-list") + "?" + cursor)
    assert response.status_code == 200
    first = list(Realization.objects.order_by("-date", "-id").values_list("pk", flat=True)[:5])
    assert [r.pk for r in response.context["page"]] == first


def test_the_count_stops_at_the_cap_and_says_so(client, serang_staff, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    _groups(serang_staff, 6)
    client.force_login(serang_staff)
    response = client.get(reverse("recipients:group-list"))
    page = response.context["page"]
    assert (page.count, page.count_capped) == (4, True)
    assert "Lebih dari 4 baris" in response.content.decode()


def test_the_total_comes_from_the_running_totals_and_matches_the_rows(client, banten_officer, kalsel_officer):
    allocations = _realizations(banten_officer, 12)
    _realizations(kalsel_officer, 4, province="63")
    client.force_login(banten_officer)
    url = reverse("programs:realization-list")
    raw = Realization.objects.filter(allocation__ceiling__province__code="36").aggregate(s=Sum("amount"))["s"]
    assert client.get(url).context["total"] == raw
    # Filtered by OPD (an allocation's): still the running totals.
    program_agency = allocations[0].program.agency_id
    assert client.get(url, {"agency": program_agency}).context["total"] == raw
    # By dates: one aggregate over the matching rows.
    in_january = Realization.objects.filter(allocation__ceiling__province__code="36",
                                            date__lte=dt.date(2021, 1, 2)).aggregate(s=Sum("amount"))["s"]
    assert client.get(url, {"date_to": "2021-01-02"}).context["total"] == in_january


def test_a_groups_province_is_kept_by_the_database_whoever_writes(serang_staff):
    _groups(serang_staff, 1)
    group = RecipientGroup.objects.get()
    assert group.province_id == region("36").pk
    # Even a raw write (an import, COPY, a fix by hand) that moves the group moves its province.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_recipientgroup SET regency_id = %s, province_id = NULL WHERE id = %s",
                       [region("63.01").pk, group.pk])
    group.refresh_from_db()
    assert group.province_id == region("63").pk
    assert list(RecipientGroup.objects.in_province(region("63").pk)) == [group]


def test_province_scope_and_trigram_search_use_indexed_columns(client, banten_officer, serang_staff, lebak_staff):
    _groups(serang_staff, 3, prefix="Kelompok Masker Ciruas")
    _groups(lebak_staff, 2, regency="36.02", prefix="Kelompok Batik Lebak")
    client.force_login(banten_officer)
    names = [g.name for g in client.get(reverse("recipients:group-list"), {"q": "batik leb"}).context["page"]]
    assert names == ["Kelompok Batik Lebak 000", "Kelompok Batik Lebak 001"]
    names = [g.name for g in client.get(reverse("recipients:group-list"), {"q": "zzz"}).context["page"]]
    assert names == []
    with connection.cursor() as cursor:
        # The search expression Django writes for icontains is the trigram index's expression…
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'recipients_group_name_trgm'")
        assert "gin (upper((name)::text) gin_trgm_ops)" in cursor.fetchone()[0]
        # …and a province's groups in name order are one index range, no join through core_region.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM recipients_recipientgroup WHERE province_id = %s "
                       "ORDER BY name, id LIMIT 26", [region("36").pk])
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "recipients_group_prov_name" in plan and "core_region" not in plan


def _applications(staff, program, count, regency="36.04"):
    for i in range(count):
        group = services.group_create(actor=staff, data=services.GroupData(
            name=f"Kelompok usulan {regency} {i}", regency_id=region(regency).pk, sector="masks", leader_name="X"))
        services.application_propose(group=group, program=program, actor=staff)


@pytest.mark.parametrize("rows", [2, 12])
@pytest.mark.parametrize(("who", "name", "params", "queries"), [
    # Each includes the session user (with its scope: one query) and the unread-notification count;
    # the realization list adds the filter's choices and the total.
    ("national_admin", "programs:realization-list", {}, 8),
    ("banten_officer", "programs:realization-list", {}, 8),
    ("serang_staff", "programs:realization-list", {"date_from": "2021-01-01"}, 8),
    ("national_admin", "recipients:application-list", {}, 6),
    ("banten_officer", "recipients:application-list", {"state": "proposed"}, 6),
    ("serang_staff", "recipients:queue", {}, 6),
    ("banten_officer", "recipients:queue", {"state": "field_checked"}, 6),
    ("national_admin", "recipients:group-list", {"q": "usulan"}, 5),
    ("banten_officer", "recipients:group-list", {"q": "zzz"}, 5),
    ("serang_staff", "recipients:group-list", {}, 5),
])
def test_staff_list_query_counts_do_not_grow_with_rows(client, request, django_assert_num_queries, banten_officer,
                                                       serang_staff, national_admin, rows, who, name, params,
                                                       queries, settings):
    settings.PAGINATE_BY = 5
    _realizations(banten_officer, rows)
    _applications(serang_staff, ProgramFactory(agency=banten_officer.agency, fiscal_year=2021), rows)
    client.force_login(request.getfixturevalue(who))
    url = reverse(name)
    client.get(url, params)  # warm the session
    with django_assert_num_queries(queries):
        first = client.get(url, params)
    shown = 0 if params.get("q") == "zzz" or who == "banten_officer" and name == "recipients:queue" else min(rows, 5)
    assert first.status_code == 200 and len(first.context["page"]) == shown
    if first.context["page"].has_next:  # a deep page costs what the first one does
        with django_assert_num_queries(queries):
            assert client.get(f"{url}?{first.context['page'].next_query}").status_code == 200


@pytest.mark.parametrize("rows", [3, 40])
def test_allocation_page_and_admin_changelist_do_not_grow_with_rows(client, banten_officer, national_admin, rows,
                                                                    django_assert_num_queries, settings):
    settings.PAGINATE_BY = 10
    allocation = _realizations(banten_officer, rows)[0]
    client.force_login(banten_officer)
    url = reverse("programs:allocation-detail", args=[allocation.pk])
    client.get(url)
    with django_assert_num_queries(7):
        page = client.get(url)
    assert len(page.context["realizations"]) == min(10, (rows + 1) // 2)
    client.force_login(national_admin)
    admin_url = reverse("admin:programs_realization_changelist")
    client.get(admin_url)
    with django_assert_num_queries(3):  # the session user, the capped count, the page: no query per row
        assert client.get(admin_url).status_code == 200
