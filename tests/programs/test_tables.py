"""Staff budget tables: sorted by each column on the server, and downloaded as CSV or XLSX exactly
as the page shows them (scope, filters, sort), through the groups' streamed/queued export path."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from programs.models import Allocation, BudgetCeiling, Realization
from recipients.models import ExportJob
from tests.conftest import wait_for
from tests.core.test_permission_matrix import demo  # noqa: F401

TABLES = [("programs:ceiling-list", "pagu", ["provinsi", "tahun", "sumber", "pagu", "teralokasi", "sisa"]),
          ("programs:allocation-list", "alokasi",
           ["program", "tahun", "opd", "wilayah", "sumber", "alokasi", "realisasi", "sisa"]),
          ("programs:realization-list", "realisasi", ["tanggal", "jumlah"])]
# Sorted, not (yet) downloadable as a table of their own: programs; groups download from their list.
SORT_ONLY = [("programs:program-list", ["tahun", "opd", "program", "jenis", "target", "status"]),
             ("recipients:group-list", ["nama", "kabupaten", "anggota"])]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "slug", "columns"), TABLES)
def test_every_column_sorts_both_ways_and_an_unknown_one_is_the_default(client, demo, url, slug, columns):  # noqa: F811
    client.force_login(User.objects.get(username="banten"))
    page = client.get(reverse(url)).content.decode()
    for column in columns:
        assert f'data-testid="sort-{column}"' in page, column
        for asked in (column, f"-{column}"):
            response = client.get(reverse(url), {"urut": asked})
            assert response.status_code == 200, asked
            assert 'aria-sort="' + ("descending" if asked.startswith("-") else "ascending") in response.content.decode()
    assert client.get(reverse(url), {"urut": "'; DROP TABLE x"}).status_code == 200
    # The download links carry the page's filters and sort.
    sorted_page = client.get(reverse(url), {"urut": f"-{columns[-1]}", "fiscal_year": "2020"}).content.decode()
    assert f"/kelola/ekspor/{slug}.csv?urut=-{columns[-1]}&amp;fiscal_year=2020" in sorted_page


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "columns"), SORT_ONLY)
def test_the_program_and_group_lists_sort_by_their_columns(client, demo, url, columns):  # noqa: F811
    client.force_login(User.objects.get(username="serang" if "group" in url else "banten"))
    for column in columns:
        for asked in (column, f"-{column}"):
            response = client.get(reverse(url), {"urut": asked})
            assert response.status_code == 200 and f'data-testid="sort-{column}"' in response.content.decode()
    # The database's own order (its collation decides where "KPM" goes against "Kelompok").
    from programs.selectors import programs_visible_to
    from recipients.selectors import groups_visible_to

    user = User.objects.get(username="serang" if "group" in url else "banten")
    if "group" in url:
        shown = [g.pk for g in client.get(reverse(url), {"urut": "-nama"}).context["page"]]
        expected = groups_visible_to(user).order_by("-name", "-id")
    else:
        shown = [p.pk for p in client.get(reverse(url), {"urut": "-program"}).context["page"]]
        expected = programs_visible_to(user).order_by("-name", "-id")
    assert shown == list(expected.values_list("pk", flat=True)[:len(shown)]) and len(shown) > 1


@pytest.mark.django_db
def test_the_biggest_amounts_come_first_on_the_page_and_in_the_file(client, demo):  # noqa: F811
    banten = User.objects.get(username="banten")
    client.force_login(banten)
    shown = [a.amount for a in client.get(reverse("programs:allocation-list"), {"urut": "-alokasi"}).context["page"]]
    assert shown == sorted(shown, reverse=True) and len(shown) > 1
    rows = _csv(client.get(reverse("recipients:table-export", args=["alokasi", "csv"]),
                           {"urut": "-alokasi", "fiscal_year": "2020"}))
    assert rows[0][:3] == ["tahun", "opd", "program"]
    amounts = [int(r[6]) for r in rows[1:]]
    expected = Allocation.objects.filter(ceiling__province__code="36", ceiling__fiscal_year=2020)
    assert amounts == sorted(amounts, reverse=True) and len(amounts) == expected.count()
    assert {r[0] for r in rows[1:]} == {"2020"}
    # Each allocation with its revisions (old → new, reason), as its page lists them.
    assert rows[0][-2:] == ["jumlah_revisi", "revisi"]
    revised = [r for r in rows[1:] if int(r[-2]) > 0]
    assert revised, "the demo's 2020 refocusing revisions"
    for row in revised:
        assert row[-1].count(" → ") == int(row[-2]) and "Refocusing" in row[-1]
    # Realizations by amount, ascending, paged by cursor: the second page goes on from the first.
    first = client.get(reverse("programs:realization-list"), {"urut": "jumlah"}).context["page"]
    ceilings = _csv(client.get(reverse("recipients:table-export", args=["pagu", "csv"]), {"urut": "pagu"}))
    assert [int(r[4]) for r in ceilings[1:]] == sorted(
        BudgetCeiling.objects.filter(province__code="36").values_list("amount", flat=True))
    values = [r.amount for r in first]
    assert values == sorted(values) and values[0] == min(
        Realization.objects.filter(allocation__ceiling__province__code="36").values_list("amount", flat=True))


@pytest.mark.django_db
def test_a_table_export_is_refused_to_whoever_may_not_see_the_table(client, demo):  # noqa: F811
    client.force_login(User.objects.get(username="dpo-banten"))
    assert client.get(reverse("recipients:table-export", args=["realisasi", "csv"])).status_code == 403
    assert client.post(reverse("recipients:export-create"), {"table": "pagu", "fmt": "csv"}).status_code == 403
    client.force_login(User.objects.get(username="banten"))
    assert client.get("/kelola/ekspor/gaji.csv").status_code == 404
    assert client.get(reverse("recipients:table-export", args=["pagu", "pdf"])).status_code == 404
    client.logout()
    assert client.get(reverse("recipients:table-export", args=["pagu", "csv"])).status_code == 302
    assert not ExportJob.objects.exists()


def test_realizations_as_xlsx_are_built_by_the_worker_with_the_filters(client, demo, celery_worker_thread):  # noqa: F811
    client.force_login(User.objects.get(username="banten"))
    assert client.get(reverse("recipients:table-export", args=["realisasi", "xlsx"]),
                      {"fiscal_year": "2020"}).status_code == 200
    client.post(reverse("recipients:export-create"),
                {"table": "realisasi", "fmt": "xlsx", "fiscal_year": "2020", "urut": "-jumlah"})
    job = wait_for(lambda: ExportJob.objects.filter(status=ExportJob.Status.DONE).first())
    assert job.table == "realisasi" and job.params == {"urut": "-jumlah", "fiscal_year": "2020"}
    download = client.get(reverse("recipients:export-download", args=[job.pk]))
    assert 'filename="realisasi.xlsx"' in download["Content-Disposition"]
    values = list(load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active.values)
    expected = Realization.objects.filter(allocation__ceiling__province__code="36",
                                          allocation__ceiling__fiscal_year=2020)
    assert list(values[0])[:2] == ["tanggal", "provinsi"] and len(values) - 1 == expected.count()
    amounts = [v[6] for v in values[1:]]
    assert amounts == sorted(amounts, reverse=True) and all(isinstance(a, int) for a in amounts)
