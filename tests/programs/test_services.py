import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from programs import services
from programs.models import Allocation, AllocationRevision, BudgetCeiling, FundingSource, Realization
from tests.factories import AllocationFactory, CeilingFactory, ProgramFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceiling(regions):
    return CeilingFactory(amount=1_000_000_000)


@pytest.fixture
def program(disperindag_banten):
    return ProgramFactory(agency=disperindag_banten, fiscal_year=2021)


def snapshot():
    """What the budget tables hold, to prove a refused write changed nothing."""
    return (
        list(BudgetCeiling.objects.order_by("pk").values_list("pk", "amount", "allocated_total", "version")),
        list(Allocation.objects.order_by("pk").values_list("pk", "amount", "realized_total", "version")),
        list(Realization.objects.order_by("pk").values_list("pk", "amount")),
        AllocationRevision.objects.count(),
    )


def test_allocation_keeps_the_ceiling_total(ceiling, program, banten_officer, banten_coordinator):
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000,
                                            actor=banten_coordinator)
    ceiling.refresh_from_db()
    assert (allocation.amount, ceiling.allocated_total, ceiling.headroom) == (180_000_000, 180_000_000, 820_000_000)


@pytest.mark.parametrize("amount", [1_000_000_001, -1])
def test_over_ceiling_or_negative_allocation_is_refused(ceiling, program, banten_officer, amount, banten_coordinator):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.allocation_create(ceiling=ceiling, program=program, amount=amount, actor=banten_coordinator)
    assert "amount" in exc.value.message_dict
    assert snapshot() == before


def test_allocation_for_another_provinces_ceiling_is_refused(ceiling, program, kalsel_officer):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.allocation_create(ceiling=ceiling, program=program, amount=1, actor=kalsel_officer)
    assert snapshot() == before


def test_program_of_another_province_cannot_take_this_ceiling(ceiling, banten_officer, regions, banten_coordinator):
    kalsel_program = ProgramFactory(agency__province=region("63"), fiscal_year=2021)
    with pytest.raises(ValidationError) as exc:
        services.allocation_create(ceiling=ceiling, program=kalsel_program, amount=1, actor=banten_coordinator)
    assert "provinsi lain" in exc.value.message_dict["program"][0]


def test_realization_never_exceeds_allocation(ceiling, program, banten_officer, banten_coordinator):
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000,
                                            actor=banten_coordinator)
    services.realization_create(allocation=allocation, date=dt.date(2021, 3, 1), amount=100_000_000,
                                description="Mesin jahit", actor=banten_officer)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.realization_create(allocation=allocation, date=dt.date(2021, 3, 2), amount=80_000_001,
                                    description="Alat uji", actor=banten_officer)
    assert "Melebihi sisa alokasi" in exc.value.message_dict["amount"][0]
    assert snapshot() == before


def test_revision_needs_a_reason_and_respects_realizations(ceiling, program, banten_officer, banten_coordinator):
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000,
                                            actor=banten_coordinator)
    services.realization_create(allocation=allocation, date=dt.date(2021, 3, 1), amount=100_000_000,
                                description="Mesin jahit", actor=banten_officer)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.allocation_revise(allocation=allocation, new_amount=150_000_000, reason=" ", actor=banten_coordinator)
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.allocation_revise(allocation=allocation, new_amount=90_000_000, reason="Refocusing",
                                   actor=banten_coordinator)
    assert "new_amount" in exc.value.message_dict
    assert snapshot() == before

    revision = services.allocation_revise(allocation=allocation, new_amount=150_000_000,
                                          reason="Refocusing anggaran 2020", actor=banten_coordinator)
    ceiling.refresh_from_db()
    assert (revision.old_amount, revision.new_amount) == (180_000_000, 150_000_000)
    assert ceiling.allocated_total == 150_000_000


def test_stale_revision_is_refused(ceiling, program, banten_officer, banten_coordinator):
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=100, actor=banten_coordinator)
    opened_version = allocation.version
    services.allocation_revise(allocation=allocation, new_amount=200, reason="A", actor=banten_coordinator,
                               expected_version=opened_version)
    before = snapshot()
    with pytest.raises(services.StaleEdit):
        services.allocation_revise(allocation=allocation, new_amount=300, reason="B", actor=banten_coordinator,
                                   expected_version=opened_version)
    assert snapshot() == before


def test_ceiling_cannot_shrink_below_its_allocations(ceiling, program, banten_officer, banten_coordinator):
    services.allocation_create(ceiling=ceiling, program=program, amount=600_000_000, actor=banten_coordinator)
    with pytest.raises(ValidationError):
        services.ceiling_update(ceiling=ceiling, amount=500_000_000, note="", actor=banten_coordinator)
    assert BudgetCeiling.objects.get(pk=ceiling.pk).amount == 1_000_000_000


def test_same_submission_twice_saves_once(ceiling, program, banten_officer, banten_coordinator):
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=100_000, actor=banten_coordinator)
    token = uuid.uuid4()
    first = services.realization_create(allocation=allocation, date=dt.date(2021, 1, 5), amount=10_000,
                                        description="Tahap I", actor=banten_officer, submission_id=token)
    with pytest.raises(services.DuplicateSubmission) as exc:
        services.realization_create(allocation=allocation, date=dt.date(2021, 1, 5), amount=10_000,
                                    description="Tahap I", actor=banten_officer, submission_id=token)
    assert exc.value.existing == first
    assert Realization.objects.count() == 1
    assert Allocation.objects.get(pk=allocation.pk).realized_total == 10_000


def test_database_refuses_totals_beyond_the_ceiling_even_without_services(ceiling):
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetCeiling.objects.filter(pk=ceiling.pk).update(allocated_total=ceiling.amount + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetCeiling.objects.filter(pk=ceiling.pk).update(amount=-5)


def test_history_records_every_change_with_who_and_reason(ceiling, program, banten_officer, banten_coordinator):
    from core.history import record_history

    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000,
                                            actor=banten_coordinator)
    services.allocation_revise(allocation=allocation, new_amount=150_000_000, reason="Refocusing anggaran 2020",
                               actor=banten_coordinator)
    # A bulk change outside any service is recorded too: history comes from triggers.
    Allocation.objects.filter(pk=allocation.pk).update(note="dicatat massal")
    history = record_history(allocation, fields=("amount", "note"))
    assert [entry["changes"] for entry in history] == [
        [("note", "", "dicatat massal")],
        [("amount", 180_000_000, 150_000_000)],
        [("amount", None, 180_000_000), ("note", None, "")],
    ]
    assert history[1]["who"] == banten_coordinator.get_full_name()
    assert history[1]["reason"] == "Refocusing anggaran 2020"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_allocations_over_the_ceiling_exactly_one_wins(regions, banten_officer, banten_coordinator):
    ceiling = CeilingFactory(amount=1_000_000_000)
    programs = [ProgramFactory(agency=banten_officer.agency, fiscal_year=2021) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def allocate(program):
        try:
            barrier.wait(timeout=10)
            services.allocation_create(ceiling=ceiling, program=program, amount=600_000_000, actor=banten_coordinator)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.message_dict["amount"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(p,)) for p in programs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(outcomes) == 2
    assert outcomes.count("ok") == 1
    assert any("Melebihi sisa pagu" in o for o in outcomes)
    ceiling.refresh_from_db()
    assert Allocation.objects.filter(ceiling=ceiling).count() == 1
    assert ceiling.allocated_total == 600_000_000


def test_allocation_factory_goes_through_the_service(regions):
    allocation = AllocationFactory(amount=5_000)
    assert BudgetCeiling.objects.get(pk=allocation.ceiling_id).allocated_total == 5_000
    assert FundingSource.objects.filter(code="apbd-prov").exists()


def test_each_office_writes_only_its_own_share(ceiling, program, banten_coordinator, banten_officer, dinsos_officer):
    """The coordinator sets ceilings and allocations but records no spending; an OPD officer
    records realizations of their own OPD's programs only, and sets no budget."""
    with pytest.raises(PermissionDenied):
        services.allocation_create(ceiling=ceiling, program=program, amount=1, actor=banten_officer)
    with pytest.raises(PermissionDenied):
        services.ceiling_update(ceiling=ceiling, amount=2_000_000_000, note="", actor=banten_officer)
    allocation = services.allocation_create(ceiling=ceiling, program=program, amount=100, actor=banten_coordinator)
    before = snapshot()
    for actor in (banten_coordinator, dinsos_officer):
        with pytest.raises(PermissionDenied):
            services.realization_create(allocation=allocation, date=dt.date(2021, 3, 1), amount=1,
                                        description="x", actor=actor)
    with pytest.raises(PermissionDenied):
        services.program_save(program=ProgramFactory.build(agency=program.agency), actor=dinsos_officer)
    assert snapshot() == before
    services.realization_create(allocation=allocation, date=dt.date(2021, 3, 1), amount=1, description="Tahap I",
                                actor=banten_officer)
