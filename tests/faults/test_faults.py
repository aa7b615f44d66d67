"""Faults on real processes: workers killed mid-rollup, Redis stopped, PostgreSQL restarted under
load or stopped at once, twenty identical POSTs, two beats. Each test says what a user would see
and prints the time it took to recover."""

import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from tests.faults.stack import wait_until

PUBLIC = ["/", "/provinsi/36/", "/provinsi/63/", "/kabupaten/36.04/", "/data/", "/data/anggaran.csv",
          "/data/anggaran.json", "/data/metadata.json", "/api/v1/anggaran/?provinsi=36", "/api/v1/wilayah/",
          "/cari/?q=masker"]


def _add_realizations(stack, n: int) -> None:
    stack.shell(
        "import datetime as dt\n"
        "from django.db.models import F\n"
        "from programs import services\n"
        "from programs.models import Allocation\n"
        "a = Allocation.objects.filter(amount__gte=F('realized_total') + 1000).order_by('pk').first()\n"
        f"for i in range({n}):\n"
        "    services.realization_create(allocation=a, date=dt.date(a.ceiling.fiscal_year, 6, 1), amount=7,\n"
        "                                description=f'uji gangguan {i}')\n"
    )


def _request_rollup(stack) -> int:
    return int(stack.shell(
        "from accounts.models import User\n"
        "from reports.rollup import request_rollup\n"
        "print(request_rollup(user=User.objects.get(username='banten'))[0].pk)"
    ))


def _status(stack, run_id: int) -> str:
    return stack.pg.scalar("SELECT status FROM programs_rolluprun WHERE id = %s", [run_id])


def _rollup_equals_raw(stack) -> None:
    rolled = stack.pg.scalar("SELECT COALESCE(SUM(realized_amount), 0) FROM programs_budgetrollup")
    raw = stack.pg.scalar("SELECT COALESCE(SUM(amount), 0) FROM programs_realization")
    allocated = stack.pg.scalar("SELECT COALESCE(SUM(allocated_amount), 0) FROM programs_budgetrollup")
    raw_allocated = stack.pg.scalar("SELECT COALESCE(SUM(amount), 0) FROM programs_allocation")
    assert (rolled, allocated) == (raw, raw_allocated)


def _open_runs(stack) -> int:
    return stack.pg.scalar("SELECT COUNT(*) FROM programs_rolluprun WHERE status IN ('queued', 'running')")


@pytest.mark.parametrize("victim", ["whole worker", "pool child"])
def test_worker_killed_mid_rollup_recovers_to_a_fresh_aggregate(product, victim):
    stack = product
    _add_realizations(stack, 5)
    stack.start("beat")
    worker = stack.start("worker")
    blocker = stack.pg.connect()
    blocker.autocommit = False
    with blocker.cursor() as cur:  # the run will wait here, mid-transaction, holding the rollup lock
        cur.execute("LOCK TABLE programs_allocation IN ACCESS EXCLUSIVE MODE")
    run_id = _request_rollup(stack)
    wait_until(lambda: _status(stack, run_id) == "running", 30, "the run to start")
    time.sleep(1)
    if victim == "whole worker":
        stack.stop("worker", signal.SIGKILL)
    else:
        for child in psutil.Process(worker.pid).children(recursive=True):
            child.kill()
    killed = time.monotonic()
    blocker.rollback()
    blocker.close()
    if victim == "whole worker":
        stack.start("worker")
    wait_until(lambda: _status(stack, run_id) == "success", 90, "the killed run to complete")
    recovery = time.monotonic() - killed
    print(f"\n[faults] {victim} SIGKILLed mid-rollup: run {run_id} completed {recovery:.1f} s later")
    assert recovery < 90
    _rollup_equals_raw(stack)
    assert _open_runs(stack) == 0


def test_redis_stopped_pages_stay_up_and_queued_work_is_not_lost(product):
    stack = product
    stack.start("web")
    _add_realizations(stack, 3)
    run_id = _request_rollup(stack)  # queued in Redis; no worker is running
    stack.redis.stop()
    statuses = [requests.get(stack.url(path), timeout=10).status_code for path in PUBLIC for _ in range(2)]
    print(f"\n[faults] Redis stopped: {len(statuses)} public requests, {sum(s >= 500 for s in statuses)} 5xx")
    assert set(statuses) == {200}
    staff = requests.Session()
    _login(stack, staff, "banten")
    dashboard = staff.get(stack.url("/dasbor/"), timeout=10)
    assert dashboard.status_code == 200 and "sedang tertunda" in dashboard.text
    stack.redis.start()  # the same AOF file: the queued message is still there
    started = time.monotonic()
    stack.start("worker")
    wait_until(lambda: _status(stack, run_id) == "success", 60, "the queued run after Redis came back")
    print(f"[faults] Redis back with AOF: queued run done {time.monotonic() - started:.1f} s after the worker")
    _rollup_equals_raw(stack)


def test_redis_restarted_without_its_data_the_reaper_sends_the_run_again(product):
    stack = product
    run_id = _request_rollup(stack)
    stack.redis.stop()
    stack.redis.wipe()
    stack.redis.start()
    started = time.monotonic()
    stack.start("beat")
    stack.start("worker")
    wait_until(lambda: _status(stack, run_id) == "success", 60, "the lost run to be sent again and run")
    print(f"\n[faults] Redis lost the message: run {run_id} done {time.monotonic() - started:.1f} s later")
    assert _open_runs(stack) == 0


def test_postgres_restart_under_load_no_public_5xx_and_recovery_without_restart(product):
    stack = product
    stack.start("web")
    for path in PUBLIC:  # the public cache holds these pages
        assert requests.get(stack.url(path), timeout=10).status_code == 200
    statuses: list[int] = []
    failed: list[str] = []
    stop_at = time.monotonic() + 12

    def load(worker: int) -> None:
        session = requests.Session()
        i = worker
        while time.monotonic() < stop_at and len(statuses) < 5000:
            path = PUBLIC[i % len(PUBLIC)]
            try:
                statuses.append(session.get(stack.url(path), timeout=10).status_code)
            except requests.RequestException:
                statuses.append(599)
            if statuses[-1] >= 500:
                failed.append(f"{path} {statuses[-1]}")
            i += 1

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(load, w) for w in range(4)]
        time.sleep(2)
        stack.pg.restart("fast")
        restarted = time.monotonic()
        # An uncached page (it needs the database) works again without restarting the app.
        wait_until(lambda: requests.get(stack.url(f"/cari/?q=pulih{time.time_ns()}"), timeout=10).ok,
                   30, "an uncached page after the restart")
        recovered = time.monotonic() - restarted
        for future in futures:
            future.result()
    errors = sum(s >= 500 for s in statuses)
    print(f"\n[faults] PostgreSQL restarted under load: {len(statuses)} public requests, {errors} 5xx")
    print(f"[faults] uncached page served again {recovered:.1f} s after PostgreSQL was back")
    assert statuses and errors == 0, sorted(set(failed))


def test_staff_pages_answer_503_not_500_while_postgres_is_down(product):
    """A staff page needs the database (session user, lists): while PostgreSQL is away it answers
    503 with Retry-After and the site's page, never a 500; afterwards it works without a restart."""
    stack = product
    stack.start("web")
    session = requests.Session()
    _login(stack, session, "banten")
    assert session.get(stack.url("/kelola/realisasi/"), timeout=10).status_code == 200
    stack.pg.stop("fast")
    try:
        down = [session.get(stack.url(path), timeout=15) for path in ("/kelola/realisasi/", "/kelola/usulan/",
                                                                          "/dasbor/", "/kelola/realisasi/")]
    finally:
        stack.pg.start()
    print(f"\n[faults] staff pages with PostgreSQL down: {[r.status_code for r in down]}")
    assert {r.status_code for r in down} == {503}
    assert all(int(r.headers["Retry-After"]) > 0 and "coba lagi" in r.text for r in down)
    wait_until(lambda: session.get(stack.url("/kelola/realisasi/"), timeout=10).status_code == 200, 30,
               "a staff page after PostgreSQL is back")


def test_immediate_stop_keeps_committed_rows(product):
    stack = product
    _add_realizations(stack, 1)
    before = stack.pg.scalar("SELECT COUNT(*) FROM programs_realization")
    stack.pg.stop("immediate")
    stack.pg.start()
    assert stack.pg.scalar("SELECT COUNT(*) FROM programs_realization") == before


def _login(stack, session, username: str) -> None:
    page = session.get(stack.url("/akun/masuk/"), timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(stack.url("/akun/masuk/"), data={
        "username": username, "password": "ikmrelief-demo", "csrfmiddlewaretoken": token,
    }, headers={"Referer": stack.url("/akun/masuk/")}, timeout=10)
    assert response.ok and "sessionid" in session.cookies


def test_twenty_identical_posts_at_once_record_one_realization(product):
    stack = product
    stack.start("web")
    session = requests.Session()
    _login(stack, session, "banten")
    allocation = stack.pg.scalar(
        "SELECT a.id FROM programs_allocation a JOIN programs_budgetceiling c ON c.id = a.ceiling_id "
        "JOIN core_region r ON r.id = c.province_id WHERE r.code = '36' AND a.amount - a.realized_total > 1000 "
        "ORDER BY a.id LIMIT 1")
    year = stack.pg.scalar("SELECT c.fiscal_year FROM programs_allocation a JOIN programs_budgetceiling c "
                           "ON c.id = a.ceiling_id WHERE a.id = %s", [allocation])
    form = session.get(stack.url(f"/kelola/alokasi/{allocation}/realisasi/"), timeout=10).text
    data = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_id)" value="([^"]+)"',
                                                     form))
    data.update({"date": f"{year}-03-02", "amount": "1.000", "description": "Dua puluh klik sekaligus"})
    headers = {"Referer": stack.url(f"/kelola/alokasi/{allocation}/realisasi/")}

    def post(_):
        return session.post(stack.url(f"/kelola/alokasi/{allocation}/realisasi/"), data=data, headers=headers,
                            timeout=30, allow_redirects=False).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(post, range(20)))
    print(f"\n[faults] 20 identical POSTs: statuses {sorted(set(statuses))}")
    assert all(s < 500 for s in statuses)
    assert stack.pg.scalar("SELECT COUNT(*) FROM programs_realization WHERE description = %s",
                           ["Dua puluh klik sekaligus"]) == 1


def test_two_beats_make_one_rollup_per_schedule_slot(product):
    stack = product
    every_minute = {"ROLLUP_CRONTAB": "* * * * *"}
    before = stack.pg.scalar("SELECT COUNT(*) FROM programs_rolluprun WHERE trigger = 'beat'")
    stack.start("worker")
    stack.start("beat-a", env=every_minute)
    stack.start("beat-b", env=every_minute)
    wait_until(lambda: stack.pg.scalar("SELECT COUNT(*) FROM programs_rolluprun WHERE trigger = 'beat'") > before,
               75, "a beat firing")
    time.sleep(5)  # both beats' messages have been taken by now
    slots = stack.pg.scalar("SELECT COUNT(DISTINCT slot) FROM programs_rolluprun WHERE trigger = 'beat'")
    runs = stack.pg.scalar("SELECT COUNT(*) FROM programs_rolluprun WHERE trigger = 'beat'")
    print(f"\n[faults] two beats: {runs} beat runs for {slots} schedule slots")
    assert runs == slots
