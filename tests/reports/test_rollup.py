import datetime as dt
import random
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from core.cache import forget_process_copies
from ikmrelief.celery import app as celery_app
from programs import services
from programs.models import Allocation, BudgetCeiling, FundingSource, Realization
from reports import rollup, tasks
from reports.models import BudgetRollup, RealizationMonthly, RollupRun
from tests.conftest import BUDGET_QUERIES
from tests.factories import AgencyFactory, ProgramFactory, region

pytestmark = pytest.mark.django_db


def random_budgets(seed: int, provinces=("36", "63", "19")):
    """Ceilings, allocations and realizations through the services, in random amounts."""
    rng = random.Random(seed)
    sources = list(FundingSource.objects.all())
    for code in provinces:
        province = region(code)
        regencies = list(province.children.all())
        for year in (2020, 2021):
            agency = AgencyFactory(province=province)
            for source in rng.sample(sources, 2):
                ceiling = services.ceiling_create(province=province, fiscal_year=year, funding_source=source,
                                                  amount=rng.randrange(5 * 10**9, 10**10))
                for _ in range(rng.randrange(1, 4)):
                    program = ProgramFactory(agency=agency, fiscal_year=year)
                    allocation = services.allocation_create(
                        ceiling=ceiling, program=program, amount=rng.randrange(10**7, 10**9),
                        regency=rng.choice([None, *regencies]),
                    )
                    for _ in range(rng.randrange(0, 5)):
                        services.realization_create(
                            allocation=allocation, date=dt.date(year, rng.randrange(1, 13), 1),
                            amount=rng.randrange(1, allocation.amount // 6), description="r",
                        )


def rollup_rows():
    return sorted(BudgetRollup.objects.values_list(
        "fiscal_year", "province_id", "regency_id", "agency_id", "program_id", "funding_source_id",
        "ceiling_amount", "allocated_amount", "realized_amount", "allocation_count", "realization_count",
    ), key=str)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_equals_the_raw_aggregate_bucket_by_bucket(regions, seed):
    random_budgets(seed)
    run = rollup.rollup_run()
    assert run.status == RollupRun.Status.SUCCESS

    expected = {}
    for c in BudgetCeiling.objects.all():
        expected[(c.fiscal_year, c.province_id, None, None, None, c.funding_source_id)] = (c.amount, 0, 0, 0, 0)
    realized = dict(Realization.objects.values("allocation").annotate(s=Sum("amount"), n=Count("id"))
                    .values_list("allocation", "s"))
    counts = dict(Realization.objects.values("allocation").annotate(n=Count("id")).values_list("allocation", "n"))
    for a in Allocation.objects.select_related("ceiling", "program"):
        key = (a.ceiling.fiscal_year, a.ceiling.province_id, a.regency_id, a.program.agency_id, a.program_id,
               a.ceiling.funding_source_id)
        expected[key] = (0, a.amount, realized.get(a.pk, 0), 1, counts.get(a.pk, 0))
    actual = {row[:6]: row[6:] for row in rollup_rows()}
    assert actual == expected
    assert run.bucket_rows == len(expected)

    monthly_total = RealizationMonthly.objects.aggregate(s=Sum("amount"))["s"]
    assert monthly_total == Realization.objects.aggregate(s=Sum("amount"))["s"]
    assert run.realization_rows == Realization.objects.count()


def test_rerunning_changes_nothing(regions):
    random_budgets(7)
    rollup.rollup_run()
    first = rollup_rows()
    monthly = sorted(RealizationMonthly.objects.values_list("province_id", "regency_id", "program_id", "month",
                                                            "amount"), key=str)
    rollup.rollup_run()
    assert rollup_rows() == first
    assert sorted(RealizationMonthly.objects.values_list("province_id", "regency_id", "program_id", "month",
                                                         "amount"), key=str) == monthly


def test_a_failure_mid_run_keeps_the_previous_rollup(regions, banten_officer):
    random_budgets(11, provinces=("36",))
    rollup.rollup_run()
    before = rollup_rows()
    allocation = Allocation.objects.first()
    services.realization_create(allocation=allocation, date=dt.date(2021, 6, 1), amount=1, description="baru")

    def die_after_the_delete(step):
        if step == "monthly":
            raise ConnectionError("worker lost")

    with pytest.raises(ConnectionError):
        rollup.rollup_run(on_step=die_after_the_delete)
    assert rollup_rows() == before
    assert RollupRun.objects.order_by("-id").first().status == RollupRun.Status.FAILED
    assert rollup.last_success() is not None


@pytest.mark.django_db(transaction=True)
def test_readers_do_not_wait_while_a_run_builds_its_tables(regions, banten_officer):
    """Every new table is built beside the live one and all are swapped in at the end, so a
    reader during the build reads the previous rollup at once (the bench measures the swap)."""
    import threading
    import time

    from django.db import connection, connections

    random_budgets(11, provinces=("36",))
    rollup.rollup_run()
    before = rollup_rows()
    building = threading.Event()

    def slow(step):
        if step == "applications":  # buckets and months are built by now
            building.set()
            time.sleep(2)

    def run():
        try:
            rollup.rollup_run(on_step=slow)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    assert building.wait(30)
    reader = connections.create_connection("default")
    waits = []
    try:
        with reader.cursor() as cursor:
            for table in ("programs_budgetrollup", "programs_realizationmonthly", "recipients_applicationrollup"):
                start = time.monotonic()
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
                waits.append(time.monotonic() - start)
    finally:
        reader.close()
    worker.join(30)
    assert max(waits) < 0.5, waits
    assert RollupRun.objects.order_by("-id").first().status == RollupRun.Status.SUCCESS
    assert rollup_rows() == before  # same data, same rollup


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_never_both_write(regions):
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", rollup.RUN_LOCK)
            run = rollup.rollup_run()
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert run.status == RollupRun.Status.SKIPPED
    assert rollup.rollup_run().status == RollupRun.Status.SUCCESS


def test_stale_rollup_is_detected():
    assert rollup.rollup_is_stale()
    run = rollup.rollup_run()
    assert not rollup.rollup_is_stale()
    assert rollup.rollup_is_stale(now=run.started_at + dt.timedelta(hours=25))


def test_beat_runs_the_rollup_nightly_at_one_in_jakarta():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-budget-rollup"]
    assert entry["task"] == "reports.tasks.run_rollup"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {0}
    assert celery_app.conf.timezone == "Asia/Jakarta"
    assert settings.CELERY_BEAT_SCHEDULE["rollup-catch-up"]["task"] == "reports.tasks.catch_up_rollup"
    task = tasks.run_rollup
    assert task.acks_late and task.reject_on_worker_lost and task.max_retries == 3


def test_province_page_query_count_does_not_grow(client, regions, django_assert_num_queries):
    random_budgets(5, provinces=("36",))
    rollup.rollup_run()
    client.get(reverse("reports:province-detail", args=["36"]))
    rows_before = BudgetRollup.objects.count()
    cache.clear()  # measure the render, not the public page cache (nor the process's copies)
    forget_process_copies()
    # Fixed: the rollup reads plus the province's ceilings with their sources (one query) and
    # the money flow (one query), the map (its regencies, their money and groups: three), and the
    # statement budget (core.budget).
    with django_assert_num_queries(17 + BUDGET_QUERIES):
        small = client.get(reverse("reports:province-detail", args=["36"]))
    for ceiling in BudgetCeiling.objects.filter(province__code="36"):  # more rows, same page
        agency = AgencyFactory(province=ceiling.province)
        for _ in range(5):
            program = ProgramFactory(agency=agency, fiscal_year=ceiling.fiscal_year)
            allocation = services.allocation_create(ceiling=ceiling, program=program, amount=1000)
            for day in range(1, 4):
                services.realization_create(allocation=allocation, date=dt.date(ceiling.fiscal_year, 3, day),
                                            amount=10, description="r")
    rollup.rollup_run()
    assert BudgetRollup.objects.count() > rows_before
    cache.clear()
    forget_process_copies()
    with django_assert_num_queries(17 + BUDGET_QUERIES):
        client.get(reverse("reports:province-detail", args=["36"]))
    assert small.status_code == 200


def test_province_page_shows_the_rollup_and_its_date(client, regions, banten_officer):
    ceiling = services.ceiling_create(province=region("36"), fiscal_year=2020, amount=20_000_000_000,
                                      funding_source=FundingSource.objects.get(code="apbd-prov"))
    program = ProgramFactory(agency=banten_officer.agency, fiscal_year=2020)
    services.allocation_create(ceiling=ceiling, program=program, amount=180_000_000)
    body = client.get(reverse("reports:province-detail", args=["36"])).content.decode()
    assert "Rekap belum pernah dihitung" in body
    rollup.rollup_run()
    body = client.get(reverse("reports:province-detail", args=["36"])).content.decode()
    assert "Rp20 miliar" in body and "Rp180 juta" in body and "Data per" in body
    assert client.get(reverse("reports:province-detail", args=["99"])).status_code == 404


def test_refresh_now_runs_on_a_real_worker_and_updates_the_page(client, regions, banten_officer,
                                                                celery_worker_thread):
    ceiling = services.ceiling_create(province=region("36"), fiscal_year=2021, amount=10**9,
                                      funding_source=FundingSource.objects.get(code="pen"))
    allocation = services.allocation_create(
        ceiling=ceiling, program=ProgramFactory(agency=banten_officer.agency), amount=500_000_000
    )
    rollup.rollup_run()
    services.realization_create(allocation=allocation, date=dt.date(2021, 4, 1), amount=123_000_000,
                                description="Mesin jahit")
    assert "Rp123 juta" not in client.get(reverse("reports:province-detail", args=["36"])).content.decode()

    client.force_login(banten_officer)
    response = client.post(reverse("reports:rollup-refresh"))
    assert response["Location"] == reverse("reports:rollup-status")
    second = client.post(reverse("reports:rollup-refresh"), follow=True)  # a second press while queued
    assert RollupRun.objects.filter(trigger="manual").count() == 1 or "tidak diantrekan" in second.content.decode()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = RollupRun.objects.filter(trigger="manual").order_by("-id").first()
        if run.status in (RollupRun.Status.SUCCESS, RollupRun.Status.FAILED):
            break
        time.sleep(0.2)
    assert run.status == RollupRun.Status.SUCCESS
    assert "Rp123 juta" in client.get(reverse("reports:province-detail", args=["36"])).content.decode()
    connection.close()


@pytest.mark.parametrize(("who", "expected", "runs"), [(None, 302, 0), ("lebak", 403, 0), ("admin", 302, 1)])
def test_refresh_now_is_for_provincial_officers_and_the_national_admin(client, regions, lebak_staff, national_admin,
                                                                      who, expected, runs):
    user = {"lebak": lebak_staff, "admin": national_admin}.get(who)
    if user:
        client.force_login(user)
    assert client.post(reverse("reports:rollup-refresh")).status_code == expected
    assert RollupRun.objects.count() == runs


def test_generate_national_refuses_real_data_and_keeps_every_invariant(regions, banten_officer):
    from django.core.management import CommandError, call_command
    from django.db.models import F, Sum

    AgencyFactory(name="Dinas Perindustrian Kota Uji")  # real data: neither synthetic nor the demo's
    with pytest.raises(CommandError, match="non-sintetis"):
        call_command("generate_national", groups=10, realizations=10)
    call_command("generate_national", groups=300, realizations=3000, seed=7, force=True)
    synthetic = Allocation.objects.filter(is_illustrative=True)
    assert Realization.objects.count() == 3000
    assert not BudgetCeiling.objects.filter(allocated_total__gt=F("amount")).exists()
    for allocation in synthetic.annotate(total=Sum("realizations__amount"))[:50]:
        assert allocation.realized_total == (allocation.total or 0) <= allocation.amount
    # Triggers are off for the load: the group's province is written by the loader itself.
    from recipients.models import RecipientGroup

    assert not RecipientGroup.objects.exclude(province_id=F("regency__parent_id")).exists()
    assert RecipientGroup.objects.filter(name__startswith="Kelompok sintetis").count() == 300
    # The load bypassed the change log: the first run is full and has nothing to check against
    # (no false alarm about the kept state); the next one checks it and finds it exact.
    run = rollup.rollup_run(mode=RollupRun.Mode.INCREMENTAL)
    assert run.status == RollupRun.Status.SUCCESS and run.realization_rows == 3000
    assert run.mode == RollupRun.Mode.FULL and run.mismatches is None
    assert rollup.rollup_run().mismatches == 0


# --- Nothing stuck -------------------------------------------------------------------------------------


def _aged(run, **fields):
    old = timezone.now() - dt.timedelta(minutes=10)
    RollupRun.objects.filter(pk=run.pk).update(**{"heartbeat_at": old, "queued_at": old, **fields})
    run.refresh_from_db()
    return run


def test_two_beats_firing_in_one_minute_make_one_run(regions, monkeypatch):
    import types

    from reports import tasks
    from reports.tasks import run_rollup

    # Both firings inside one minute whatever the wall clock does: a run (with the cache warmed
    # after it) takes a second or two, and two calls straddling hh:mm:59 → hh:mm+1:00 are two
    # slots by design. The slot is read from the tasks module's clock, fixed here at 01:00:30.
    fired = timezone.localtime().replace(hour=1, minute=0, second=30)
    monkeypatch.setattr(tasks, "timezone", types.SimpleNamespace(localtime=lambda: fired))
    first, second = run_rollup(trigger="beat"), run_rollup(trigger="beat")
    assert {first["status"], second["status"]} == {"success", "duplicate"}
    assert RollupRun.objects.filter(trigger="beat").get().slot == f"beat:{fired:%Y-%m-%dT%H:%M}"


@pytest.mark.django_db(transaction=True)
def test_a_running_run_whose_backend_died_is_queued_again_and_completes(regions):
    run = _aged(RollupRun.objects.create(trigger="manual", status=RollupRun.Status.RUNNING, backend_pid=999_999,
                                         started_at=timezone.now()))
    assert rollup.rollup_reap() == {"requeued": 1, "resent": 1, "failed": 0}  # queued again and sent
    run.refresh_from_db()
    assert run.status == RollupRun.Status.QUEUED and "Worker berhenti" in run.error
    assert run.dispatched_at is not None and run.attempts == 1
    assert rollup.rollup_reap() == {"requeued": 0, "resent": 0, "failed": 0}  # not resent again at once
    # The message is consumed by a worker later; the run itself completes through the same claim.
    assert rollup.rollup_run(run=run).status == RollupRun.Status.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_backend_still_holds_the_lock_is_left_alone(regions):
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", rollup.RUN_LOCK)
            run = _aged(RollupRun.objects.create(trigger="manual", status=RollupRun.Status.RUNNING, backend_pid=pid))
            assert rollup.rollup_reap() == {"requeued": 0, "resent": 0, "failed": 0}
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    run.refresh_from_db()
    assert run.status == RollupRun.Status.RUNNING


def test_a_queued_run_nobody_takes_is_resent_then_failed_and_unblocks_refresh(regions, banten_officer, settings):
    run = _aged(RollupRun.objects.create(trigger="manual"))
    assert rollup.rollup_reap()["resent"] == 1
    _aged(run, dispatched_at=timezone.now() - dt.timedelta(hours=1), attempts=settings.JOB_MAX_ATTEMPTS)
    assert rollup.rollup_reap()["failed"] == 1
    run.refresh_from_db()
    assert run.status == RollupRun.Status.FAILED and "Tidak ada worker" in run.error
    new, queued = rollup.request_rollup(user=banten_officer)
    assert queued and new.pk != run.pk


def test_catch_up_does_not_call_a_stale_rollup_fresh(regions):
    """No successful run yet (stale) and one on its way: the catch-up waits for it, starts no second."""
    from reports.tasks import catch_up_rollup

    run = _aged(RollupRun.objects.create(trigger="manual"), dispatched_at=timezone.now())
    assert catch_up_rollup() == {"status": "waiting", "run": run.pk}
    assert RollupRun.objects.count() == 1


@pytest.mark.parametrize("demo_first", [True, False])
def test_generate_national_and_load_demo_work_together_in_either_order(regions, demo_first):
    """Synthetic budgets sit in funding sources of their own, so neither refuses the other."""
    from django.core.management import call_command

    from programs.models import Agency

    if demo_first:
        call_command("load_demo")
    call_command("generate_national", groups=60, realizations=300, seed=3)  # no --force: only demo data
    call_command("load_demo")  # idempotent after, or first load after the synthetic set
    assert Agency.objects.filter(name__startswith="[Sintetis] ").count() == 38 * 3
    assert BudgetCeiling.objects.filter(funding_source__code__startswith="sintetis-").count() == 38 * 2 * 2
    assert BudgetCeiling.objects.filter(province__code="36", fiscal_year=2020, funding_source__code="apbd-prov",
                                        amount=20_000_000_000).exists()  # the article's Rp20 miliar, untouched
    run = rollup.rollup_run()
    assert run.status == RollupRun.Status.SUCCESS and run.realization_rows >= 300


# --- Live figures (issue 24) -----------------------------------------------------------------------


def _banten_allocation(banten_officer, amount=500_000_000):
    ceiling = services.ceiling_create(province=region("36"), fiscal_year=2021, amount=10**10,
                                      funding_source=FundingSource.objects.get(code="pen"))
    return services.allocation_create(ceiling=ceiling, program=ProgramFactory(agency=banten_officer.agency),
                                      amount=amount)


def test_beat_asks_for_live_figures_well_within_a_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["rollup-live"]
    assert entry["task"] == "reports.tasks.rollup_if_changed" and 0 < entry["schedule"] <= 30
    assert entry["task"] in celery_app.tasks


def test_a_burst_of_changes_queues_one_run_and_a_quiet_log_none(regions, banten_officer):
    allocation = _banten_allocation(banten_officer)
    rollup.rollup_run()
    assert rollup.queue_if_changed() is None  # nothing logged since the run
    queued = []
    for n in range(50):
        services.realization_create(allocation=allocation, date=dt.date(2021, 5, 1 + n % 28), amount=1_000_000,
                                    description=f"Bantuan {n}")
        queued.append(rollup.queue_if_changed())
    runs = RollupRun.objects.filter(trigger=rollup.LIVE_TRIGGER)
    assert runs.count() == 1 and [q for q in queued if q is not None] == [runs.get()]
    assert runs.get().mode == RollupRun.Mode.INCREMENTAL and runs.get().requested_by is None
    rollup.rollup_run(run=runs.get())
    assert rollup.queue_if_changed() is None
    realized = BudgetRollup.objects.filter(program=allocation.program).aggregate(v=Sum("realized_amount"))["v"]
    assert realized == 50_000_000


@pytest.mark.django_db(transaction=True)
def test_a_recorded_realization_reaches_the_public_page_by_itself(client, regions, banten_officer,
                                                                   celery_worker_thread):
    """Beat's tick (sent through the broker as beat sends it) on a real worker: the officer records
    a realization and nobody presses anything; the province page shows it. The time is printed."""
    allocation = _banten_allocation(banten_officer)
    rollup.rollup_run()
    page = reverse("reports:province-detail", args=["36"])
    client.get(page)
    started = time.monotonic()
    services.realization_create(allocation=allocation, date=dt.date(2021, 4, 1), amount=123_000_000,
                                description="Mesin jahit", actor=banten_officer)
    seen = False
    while time.monotonic() - started < 60 and not seen:
        tasks.rollup_if_changed.delay()  # beat's tick; LIVE_ROLLUP_SECONDS apart in production
        time.sleep(1)
        seen = "Rp123 juta" in client.get(page).content.decode()
    print(f"realization → public page: {time.monotonic() - started:.1f} s (ticks 1 s apart here)")
    assert seen
    assert RollupRun.objects.filter(trigger=rollup.LIVE_TRIGGER, status=RollupRun.Status.SUCCESS).count() == 1
    connection.close()
