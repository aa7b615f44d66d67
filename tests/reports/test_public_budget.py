"""What one anonymous request may cost (issue 28): a statement budget per public request, a clear
refusal past it, and the costliest parameter combination of every public family inside it."""

import json
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from core.budget import bounded
from programs.models import Agency, BudgetCeiling, Program


def _sleeping_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.3)")
    return HttpResponse("done")


def _timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_statement_over_the_public_budget_is_refused_clearly_and_the_connection_restored(settings, caplog):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 50
    before = _timeout()
    view = bounded(_sleeping_view)
    request = RequestFactory().get("/jejak/realisasi/?provinsi=36&tahun=2020")
    request.user = AnonymousUser()
    with caplog.at_level(logging.WARNING, logger="core.budget"):
        response = view(request)
    assert response.status_code == 503
    assert "Persempit pilihan Anda" in response.content.decode()
    assert "/jejak/realisasi/?provinsi=36&tahun=2020" in caplog.text
    assert _timeout() == before  # a staff request on this connection keeps the site-wide bound

    api = RequestFactory().get("/api/v1/jejak/realisasi/")
    api.user = AnonymousUser()
    refused = view(api)
    assert refused.status_code == 503 and "Persempit" in json.loads(refused.content)["detail"]

    staff = RequestFactory().get("/jejak/realisasi/")
    staff.user = User(username="someone")  # signed in: the site-wide bound only
    assert view(staff).status_code == 200

    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 0  # off
    assert view(request).status_code == 200


def _recorder(statements: list):
    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    return record


def _costliest(demo_scope) -> dict[str, int]:
    """Every filter of each public family at once, with its query count (the budget's SET and
    RESET included; the same at national scale, tests/bench/public_pages.py)."""
    q = "tahun=2020&provinsi=36&kabupaten=36.04&opd={agency}&program={program}&pagu={ceiling}".format(**demo_scope)
    return {
        # An HTML trail also reads its rows' public-ledger entries (one query, for "Periksa"); this
        # scope has realizations and decisions, and no ceiling or allocation row.
        f"/jejak/realisasi/?{q}": 13, f"/jejak/kelompok/?{q}": 13, f"/jejak/alokasi/?{q}": 10,
        f"/jejak/pagu/?{q}": 7,
        f"/penerima/?provinsi=36&kabupaten=36.04&tahun=2020&q=masker&program={demo_scope['program']}": 10,
        "/cari/?q=masker": 7, f"/api/v1/anggaran/?tahun=2020&provinsi=36&program={demo_scope['program']}": 4,
        # The province page's map: its regencies, their money and their groups (three queries).
        "/provinsi/36/?tahun=2020": 18, "/kabupaten/36.04/?tahun=2020": 6,
    }


def test_the_costliest_combination_of_each_public_family_stays_inside_a_low_budget(
        client, demo, settings, django_assert_num_queries):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 200
    program = Program.objects.get(name__startswith="Bantuan teknis dan peralatan produksi masker")
    scope = {"agency": program.agency_id, "program": program.pk,
             "ceiling": BudgetCeiling.objects.filter(province__code="36", fiscal_year=2020).first().pk}
    assert Agency.objects.filter(pk=scope["agency"], province__code="36").exists()
    for url, queries in _costliest(scope).items():
        statements = []
        with django_assert_num_queries(queries), connection.execute_wrapper(_recorder(statements)):
            response = client.get(url)
        assert response.status_code == 200, url
        assert statements[0].startswith("SET statement_timeout"), url  # the budget was on
