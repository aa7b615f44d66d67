import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from programs import services
from programs.models import Allocation, BudgetCeiling, FundingSource, Realization
from tests.factories import CeilingFactory, ProgramFactory, UserFactory, region
from tests.programs.test_services import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def banten_allocation(regions, disperindag_banten):
    ceiling = CeilingFactory(amount=20_000_000_000, fiscal_year=2021)
    program = ProgramFactory(agency=disperindag_banten, fiscal_year=2021, name="Bantuan alat masker SNI")
    return services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000)


@pytest.fixture
def personas(banten_officer, kalsel_officer, serang_staff, lebak_staff, national_admin, banten_coordinator,
             dinsos_officer):
    return {"banten": banten_officer, "kalsel": kalsel_officer, "serang": serang_staff, "lebak": lebak_staff,
            "admin": national_admin, "bpkad": banten_coordinator, "dinsos": dinsos_officer}


def status_as(client, user, method, url, data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    return response.status_code


# --- permission ladders ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("kalsel", 404), ("serang", 200), ("lebak", 200), ("banten", 200), ("admin", 200)],
)
def test_allocation_detail_ladder(client, personas, banten_allocation, who, expected):
    url = reverse("programs:allocation-detail", args=[banten_allocation.pk])
    assert status_as(client, personas.get(who), "get", url) == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("kalsel", 404), ("lebak", 403), ("serang", 403), ("admin", 403), ("bpkad", 403),
     ("dinsos", 403), ("banten", 302)],
)
def test_record_realization_ladder(client, personas, banten_allocation, who, expected):
    url = reverse("programs:realization-create", args=[banten_allocation.pk])
    data = {"date": "2021-03-01", "amount": "1.000.000", "description": "Mesin jahit"}
    before = Realization.objects.count()
    assert status_as(client, personas.get(who), "post", url, data) == expected
    assert Realization.objects.count() == before + (1 if who == "banten" else 0)


@pytest.mark.parametrize(("who", "budget", "program"), [
    (None, 302, 302), ("lebak", 403, 403), ("admin", 403, 403), ("banten", 403, 200), ("dinsos", 403, 200),
    ("bpkad", 200, 403),
])
def test_create_pages_ladder(client, personas, regions, who, budget, program):
    """Ceilings and allocations are the coordinator's; programs are each OPD's own."""
    for name in ("programs:ceiling-create", "programs:allocation-create"):
        assert status_as(client, personas.get(who), "get", reverse(name)) == budget
    assert status_as(client, personas.get(who), "get", reverse("programs:program-create")) == program


@pytest.mark.parametrize(("who", "expected"), [(None, 302), ("lebak", 200), ("banten", 200), ("admin", 200)])
def test_list_pages_ladder(client, personas, banten_allocation, who, expected):
    for name in ("programs:ceiling-list", "programs:allocation-list", "programs:realization-list",
                 "programs:program-list"):
        assert status_as(client, personas.get(who), "get", reverse(name)) == expected


def test_kalsel_officer_sees_no_banten_rows(client, kalsel_officer, banten_officer, banten_allocation):
    url = reverse("programs:allocation-list")
    client.force_login(banten_officer)
    assert "Bantuan alat masker SNI" in client.get(url).content.decode()  # positive control: the row is listed
    client.force_login(kalsel_officer)
    assert "Bantuan alat masker SNI" not in client.get(url).content.decode()


# --- the journey, and refusals ----------------------------------------------------------------

def test_coordinator_and_officer_journey_ceiling_allocation_revision_realization(login, banten_officer,
                                                                               banten_coordinator, regions):
    client = login(banten_coordinator)
    ProgramFactory(agency=banten_officer.agency, fiscal_year=2021, name="Bantuan peralatan produksi IKM")
    pen = FundingSource.objects.get(code="pen")
    response = client.post(reverse("programs:ceiling-create"),
                           {"fiscal_year": "2021", "funding_source": pen.pk, "amount": "Rp2.000.000.000"})
    ceiling = BudgetCeiling.objects.get(province__code="36", fiscal_year=2021, funding_source=pen)
    assert response["Location"] == reverse("programs:ceiling-detail", args=[ceiling.pk])
    assert ceiling.amount == 2_000_000_000

    program = banten_officer.agency.programs.get(name="Bantuan peralatan produksi IKM")
    response = client.post(reverse("programs:allocation-create"),
                           {"ceiling": ceiling.pk, "program": program.pk, "amount": "180.000.000"})
    allocation = Allocation.objects.get(ceiling=ceiling)
    assert response.status_code == 302 and allocation.amount == 180_000_000

    client.post(reverse("programs:allocation-revise", args=[allocation.pk]),
                {"new_amount": "150.000.000", "reason": "Refocusing anggaran", "version": allocation.version})
    client = login(banten_officer)
    client.post(reverse("programs:realization-create", args=[allocation.pk]),
                {"date": "2021-05-10", "amount": "50.000.000", "description": "Mesin jahit tahap I"})

    page = client.get(reverse("programs:allocation-detail", args=[allocation.pk])).content.decode()
    assert "Rp150 juta" in page                      # allocation
    assert "Rp100 juta" in page                      # headroom of the allocation
    assert "Rp1,85 miliar" in page                   # headroom of the ceiling
    assert "Refocusing anggaran" in page and "Mesin jahit tahap I" in page
    assert "Rp180.000.000 → Rp150.000.000" in page   # history, old → new
    assert banten_coordinator.get_full_name() in page and banten_officer.get_full_name() in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("20.000.000.001", "Melebihi sisa pagu"),
        ("-5", "tidak boleh negatif"),
        ("seratus juta", "angka bulat"),
        ("180.000,50", "angka bulat"),
    ],
)
def test_bad_allocation_amount_is_refused_next_to_the_field(login, banten_officer, banten_coordinator, regions,
                                                           amount, message):
    ceiling = CeilingFactory(amount=20_000_000_000)
    program = ProgramFactory(agency=banten_officer.agency, fiscal_year=2021)
    before = snapshot()
    response = login(banten_coordinator).post(reverse("programs:allocation-create"),
                                              {"ceiling": ceiling.pk, "program": program.pk, "amount": amount})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["amount"])
    assert f'value="{amount}"' in response.content.decode()  # what was typed is kept
    assert snapshot() == before


def test_forged_ceiling_of_another_province_is_an_invalid_choice(login, kalsel_officer, banten_allocation):
    before = snapshot()
    kalsel_program = ProgramFactory(agency=kalsel_officer.agency, fiscal_year=2021)
    kalsel_coordinator = UserFactory(role=User.Role.COORDINATOR, province=region("63"))
    response = login(kalsel_coordinator).post(
        reverse("programs:allocation-create"),
        {"ceiling": banten_allocation.ceiling_id, "program": kalsel_program.pk, "amount": "1"},
    )
    assert response.status_code == 200
    assert "ceiling" in response.context["form"].errors
    assert snapshot() == before


def test_stale_revision_form_keeps_the_input_and_explains(login, banten_coordinator, banten_allocation):
    client = login(banten_coordinator)
    opened = banten_allocation.version
    services.allocation_revise(allocation=banten_allocation, new_amount=170_000_000, reason="Koreksi",
                               actor=banten_coordinator)
    before = snapshot()
    response = client.post(reverse("programs:allocation-revise", args=[banten_allocation.pk]),
                           {"new_amount": "160.000.000", "reason": "Refocusing", "version": opened})
    body = response.content.decode()
    assert response.status_code == 200
    assert "sudah diubah orang lain" in body
    assert 'value="160.000.000"' in body and "Refocusing" in body
    assert snapshot() == before


def test_double_submitted_realization_is_saved_once(login, banten_officer, banten_allocation):
    client = login(banten_officer)
    data = {"date": "2021-03-01", "amount": "1.000.000", "description": "Mesin jahit",
            "submission_id": "6f1f4c1e-7a4c-4b8e-9d55-0a3c1f0e9b11"}
    url = reverse("programs:realization-create", args=[banten_allocation.pk])
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert Realization.objects.filter(allocation=banten_allocation).count() == 1


def test_future_realization_date_is_refused(login, banten_officer, banten_allocation):
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    response = login(banten_officer).post(
        reverse("programs:realization-create", args=[banten_allocation.pk]),
        {"date": tomorrow.isoformat(), "amount": "1000", "description": "x"},
    )
    assert "masa depan" in str(response.context["form"].errors["date"])
    assert not Realization.objects.exists()


# --- query counts do not grow with rows ------------------------------------------------------

def _many_allocations(officer, count):
    ceiling = CeilingFactory(amount=10**12, fiscal_year=2021)
    for i in range(count):
        program = ProgramFactory(agency=officer.agency, fiscal_year=2021)
        allocation = services.allocation_create(ceiling=ceiling, program=program, amount=1_000_000 + i)
        services.realization_create(allocation=allocation, date=dt.date(2021, 2, 1), amount=1000, description="r")


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # Each includes the session user (loaded with its province, regency and OPD: one query)
        # and the unread-notification count in the navigation.
        ("programs:ceiling-list", 6),
        ("programs:allocation-list", 7),
        ("programs:realization-list", 8),
        ("programs:program-list", 5),
    ],
)
def test_list_query_count_is_fixed(client, banten_officer, django_assert_num_queries, rows, name, queries):
    _many_allocations(banten_officer, rows)
    client.force_login(banten_officer)
    client.get(reverse(name))  # warm the session
    with django_assert_num_queries(queries):
        response = client.get(reverse(name))
    assert response.status_code == 200


# --- admin -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [(None, 302), ("banten", 302), ("admin", 200)])
def test_admin_is_for_national_admins(client, personas, banten_allocation, who, expected):
    url = reverse("admin:programs_allocation_changelist")
    assert status_as(client, personas.get(who), "get", url) == expected


def test_admin_budgets_are_read_only(login, national_admin, banten_allocation):
    client = login(national_admin)
    url = reverse("admin:programs_allocation_change", args=[banten_allocation.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Bantuan alat masker SNI" in page.content.decode()
    client.post(url, {"amount": "1"})
    assert Allocation.objects.get(pk=banten_allocation.pk).amount == 180_000_000
    assert client.get(reverse("admin:programs_allocation_add")).status_code == 403


def test_officer_creates_a_program_with_criteria(login, banten_officer):
    response = login(banten_officer).post(reverse("programs:program-create"), {
        "agency": banten_officer.agency.pk, "fiscal_year": "2021", "name": "Fasilitasi SNI masker kain",
        "kind": "certification", "description": "", "target_count": "12", "target_unit": "groups",
        "status": "active", "criteria_text": "Sangat terdampak Covid-19\n\n  Memproduksi masker kain  \n",
    })
    assert response.status_code == 302
    program = banten_officer.agency.programs.get(name="Fasilitasi SNI masker kain")
    assert program.criteria == ["Sangat terdampak Covid-19", "Memproduksi masker kain"]


def test_officer_cannot_edit_a_national_program_or_another_provinces(login, banten_officer, regions):
    from programs.models import Agency

    kemenperin = Agency.objects.create(name="Ditjen IKMA", short_name="IKMA", kind="kemenperin", level="national")
    national = ProgramFactory(agency=kemenperin, fiscal_year=2021)
    services.allocation_create(ceiling=CeilingFactory(), program=national, amount=1)
    kalsel = ProgramFactory(agency__province=region("63"))
    client = login(banten_officer)
    assert client.get(reverse("programs:program-edit", args=[national.pk])).status_code == 403
    assert client.get(reverse("programs:program-edit", args=[kalsel.pk])).status_code == 404


# --- money rules: fiscal year, reversal -----------------------------------------------------------

def test_a_2019_realization_on_a_2021_allocation_is_refused_with_a_clear_message(login, banten_officer,
                                                                                 banten_allocation):
    response = login(banten_officer).post(reverse("programs:realization-create", args=[banten_allocation.pk]),
                                          {"date": "2019-01-05", "amount": "1.000.000", "description": "salah"})
    assert response.status_code == 200
    assert "di dalam tahun anggaran 2021" in str(response.context["form"].errors["date"])
    assert 'value="1.000.000"' in response.content.decode()  # the input is kept
    banten_allocation.refresh_from_db()
    assert banten_allocation.realized_total == 0 and not Realization.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("kalsel", 404), ("lebak", 403), ("serang", 403), ("admin", 403), ("banten", 302)],
)
def test_reverse_realization_ladder(client, personas, banten_allocation, who, expected):
    wrong = services.realization_create(allocation=banten_allocation, date=dt.date(2021, 3, 1), amount=9_000_000,
                                        description="Salah input", actor=personas["banten"])
    url = reverse("programs:realization-reverse", args=[wrong.pk])
    assert status_as(client, personas.get(who), "post", url, {"reason": "nominal salah"}) == expected
    banten_allocation.refresh_from_db()
    assert banten_allocation.realized_total == (0 if who == "banten" else 9_000_000)
    assert Realization.objects.count() == (2 if who == "banten" else 1)


def test_a_reversal_brings_realized_down_and_the_public_figure_follows_the_rollup(client, login, banten_officer,
                                                                                  banten_allocation):
    from reports.rollup import rollup_run

    wrong = services.realization_create(allocation=banten_allocation, date=dt.date(2021, 3, 1), amount=9_000_000,
                                        description="Mesin jahit (salah nominal)", document_number="SP2D-0042",
                                        actor=banten_officer)
    rollup_run()
    program_url = reverse("reports:program-detail", args=[banten_allocation.program_id])
    def realized_card():
        return client.get(program_url).content.decode().split('data-testid="program-realized"')[1].split("</p>")[0]

    assert "Rp9 juta" in realized_card()
    page = login(banten_officer).get(reverse("programs:realization-reverse", args=[wrong.pk]))
    assert page.status_code == 200 and "entri pembalik" in page.content.decode()
    # The reason is published as typed, and the form says so beside it; the submission asks first.
    reason_label = page.content.decode().split('for="id_reason"')[1].split("</label>")[0]
    assert 'data-testid="published"' in reason_label and "data-confirm=" in page.content.decode()
    refused = client.post(reverse("programs:realization-reverse", args=[wrong.pk]), {"reason": ""})
    assert refused.status_code == 200 and "harus diisi" in refused.content.decode()
    assert Realization.objects.count() == 1
    client.post(reverse("programs:realization-reverse", args=[wrong.pk]), {"reason": "nominal seharusnya 900 ribu"})
    banten_allocation.refresh_from_db()
    assert banten_allocation.realized_total == 0
    reversal = Realization.objects.get(reverses=wrong)
    assert reversal.amount == -9_000_000 and reversal.date == wrong.date and "900 ribu" in reversal.description
    assert "nominal seharusnya 900 ribu" in client.get(reverse("reports:trail", args=["realisasi"])).content.decode()
    detail = client.get(reverse("programs:allocation-detail", args=[banten_allocation.pk])).content.decode()
    assert "dikoreksi" in detail and "entri koreksi" in detail and "SP2D-0042" in detail
    with pytest.raises(ValidationError, match="sudah dikoreksi"):
        services.realization_reverse(realization=wrong, reason="lagi", actor=banten_officer)
    with pytest.raises(ValidationError, match="entri koreksi"):
        services.realization_reverse(realization=reversal, reason="lagi", actor=banten_officer)
    client.logout()
    rollup_run()
    assert "Rp9 juta" not in realized_card() and "Rp0" in realized_card()


def test_the_database_refuses_a_negative_realization_that_reverses_nothing(banten_allocation):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Realization.objects.create(allocation=banten_allocation, date=dt.date(2021, 3, 1), amount=-5,
                                   description="x")
