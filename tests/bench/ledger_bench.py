"""The public ledger at national scale (issue 25), on purpose: `make bench` (or
``python -m tests.bench.ledger_bench [build] [verify] [proof] [append] [witnessed]``).

Reuses rollup_bench's national data set (10 M realizations, 1 M groups). Each figure is printed
beside a floor measured in the same run:

- **build** — the log for the whole data set from scratch, as the migration that creates it does
  (``recipients.ledger_backfill`` queues every record, ``ledger.log.integrate`` sequences them in
  batches): against hashing the same bytes with ``hashlib`` in one loop (every entry as a leaf and
  every node of the tree). Once per data set, like the data set (BENCH_LEDGER_REBUILD=1: again).
- **verify** — the open-data zip written (``ledger.archive``), then ``ikmrelief-verify`` re-checking
  the whole log from it, three times: its speed as a share of the same ``hashlib`` floor
  (target ≥ 25 %).
- **proof** — everything a browser fetches for one entry's inclusion proof (checkpoint, entry
  bundle, a tile per level) served by Django uncached, against a bare ``/ping/``.
- **append** — 20 writers recording a realization at once through the service, rounds with the
  log and without it interleaved: the p99 of each (target: the same within noise).
- **witnessed** — a real Celery worker and beat (LEDGER_SECONDS as configured, default 10 s) and
  two witnesses over HTTP: from a realization's commit to a checkpoint cosigned by both that
  includes its entry (target < 60 s), three times.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

WRITERS = 20
APPEND_ROUNDS = int(os.environ.get("BENCH_APPEND_ROUNDS", 10))


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def hash_floor(size: int) -> float:
    """Seconds ``hashlib`` takes to hash the log's bytes in one loop: every entry as an RFC 6962
    leaf, then every node of the tree, level by level (the entries read untimed, in chunks)."""
    from ledger.models import Entry

    spent, leaves, step = 0.0, [], 200_000
    sha256 = hashlib.sha256
    for start in range(0, size, step):
        bodies = [bytes(b) for b in Entry.objects.filter(index__gte=start, index__lt=start + step)
                  .order_by("index").values_list("body", flat=True)]
        began = time.perf_counter()
        leaves += [sha256(b"\x00" + body).digest() for body in bodies]
        spent += time.perf_counter() - began
    began = time.perf_counter()
    level = leaves
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return spent + time.perf_counter() - began


def build() -> dict:
    from django.db import connection

    from ledger import log
    from ledger.models import Entry, PendingEntry
    from recipients import ledger_backfill

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ledger_cosignature, ledger_checkpoint, ledger_tile, ledger_entry, "
                       "ledger_pendingentry, ledger_audit")
    began = time.perf_counter()
    queued = ledger_backfill.record_existing()
    queued_s = time.perf_counter() - began
    batches = 0
    while log.integrate() is not None:
        batches += 1
        if batches % 50 == 0:
            print(f"  … {log.tree_size():,} of {queued:,} entries integrated "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)
        if not PendingEntry.objects.exists():
            break
    total_s = time.perf_counter() - began
    size = Entry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_entry")
        cursor.execute("VACUUM ANALYZE ledger_tile")
    floor_s = hash_floor(size)
    return {"size": size, "queued_s": queued_s, "total_s": total_s, "floor_s": floor_s, "batches": batches}


def verify() -> dict:
    from ikmrelief_verify import cli

    from ledger import archive, log

    checkpoint = log.latest()
    with tempfile.TemporaryDirectory(prefix="ikmrelief-ledger-") as tmp:
        path = Path(tmp) / "buku-besar.zip"
        began = time.perf_counter()
        with path.open("wb") as out:
            for chunk in archive.stream(checkpoint, "http://bench.invalid"):
                out.write(chunk)
        zip_s = time.perf_counter() - began
        zip_bytes = path.stat().st_size
        runs, floors = [], []
        for _ in range(3):
            began = time.perf_counter()
            verified = cli.verify(str(path), log.signer().verifier.vkey, [], None, None)
            runs.append(time.perf_counter() - began)
            assert verified.size == checkpoint.size
            floors.append(hash_floor(checkpoint.size))
    return {"size": checkpoint.size, "zip_s": zip_s, "zip_bytes": zip_bytes, "runs": runs, "floors": floors}


def proof() -> dict:
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment
    from ikmrelief_verify import merkle, tiles

    from core.cache import forget_process_copies
    from ledger import log

    setup_test_environment()
    client = Client()
    size = log.latest().size
    index = size // 3
    # What ledger-check.js fetches for entry ``index``: the checkpoint, its bundle, and the tiles
    # holding the proof's hashes (found by recording the tile reads of the proof computed here).
    wanted: list[str] = []

    def record(path):
        wanted.append(path)
        return log.fetch(path)

    reader = tiles.TileReader(size, record)
    merkle.inclusion_proof(index, size, reader.full)
    first = index // tiles.WIDTH
    width = tiles.width_at(0, first, size)
    paths = ["checkpoint", tiles.path("entries", first, width), *dict.fromkeys(wanted)]

    def fetch_all():
        for path in paths:
            assert client.get(f"/buku-besar/{path}").status_code == 200, path

    def ping():
        assert client.get("/ping/").status_code == 200

    def timed_ms(fn):
        cache.clear()
        forget_process_copies()
        began = time.perf_counter()
        fn()
        return (time.perf_counter() - began) * 1000

    fetch_all()
    ping()
    served = [timed_ms(fetch_all) for _ in range(20)]
    floor = [timed_ms(ping) for _ in range(20)]
    return {"paths": len(paths), "served_ms": served, "ping_ms": floor}


def append() -> dict:
    import datetime as dt
    import random

    from django.db import close_old_connections, connection

    from ledger import entries
    from programs import services
    from programs.models import Allocation

    allocations = list(Allocation.objects.filter(ceiling__fiscal_year__lte=2021, amount__gt=10**6)
                       .select_related("ceiling").order_by("id")[:200])
    rng = random.Random(25)
    real_record = entries.record

    def one(latencies, barrier):
        close_old_connections()
        allocation = rng.choice(allocations)
        barrier.wait()
        began = time.perf_counter()
        services.realization_create(allocation=allocation, date=dt.date(allocation.ceiling.fiscal_year, 6, 1),
                                    amount=1, description="bench")
        latencies.append(time.perf_counter() - began)
        connection.close()

    with_log, without_log = [], []
    try:
        for round_ in range(APPEND_ROUNDS * 2):
            logged = round_ % 2 == 0
            entries.record = real_record if logged else (lambda *args, **kwargs: None)
            barrier = threading.Barrier(WRITERS)
            out = with_log if logged else without_log
            threads = [threading.Thread(target=one, args=(out, barrier)) for _ in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        entries.record = real_record

    def p99(values):
        return statistics.quantiles(values, n=100)[98] * 1000

    return {"with": with_log, "without": without_log, "p99_with": p99(with_log), "p99_without": p99(without_log)}


def witnessed() -> dict:
    """A real worker and beat, and two witnesses over HTTP, as a deployment runs them."""
    import datetime as dt
    import subprocess

    from django.conf import settings
    from ikmrelief_verify import note, witness

    from ledger import log
    from ledger.models import Checkpoint, Entry
    from programs import services
    from programs.models import Allocation

    root = Path(__file__).resolve().parents[2]
    tmp = Path(tempfile.mkdtemp(prefix="ikmrelief-witnessed-"))
    servers, keys = [], []
    for name in ("saksi-its.example/w1", "saksi-ugm.example/w2"):
        signer = note.Signer.generate(name, note.COSIGNATURE_V1)
        server = witness.server(witness.Witness(signer, [log.signer().verifier], tmp / f"{name[:9]}.json"),
                                "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        keys.append((f"http://127.0.0.1:{server.server_address[1]}", signer.verifier))
    witnesses = ",".join(f"{url} {v.vkey}" for url, v in keys)
    env = dict(os.environ, LEDGER_WITNESSES=witnesses, CELERY_BEAT_SCHEDULE_FILENAME=str(tmp / "beat"))
    celery = str(Path(sys.executable).parent / "celery")
    processes = [subprocess.Popen([celery, "-A", "ikmrelief", "worker", "-l", "warning", "--concurrency", "1"],
                                  env=env, cwd=root),
                 subprocess.Popen([celery, "-A", "ikmrelief", "beat", "-l", "warning"], env=env, cwd=root)]
    allocation = Allocation.objects.filter(ceiling__province__code="36", amount__gt=10**6).select_related(
        "ceiling").order_by("id").first()
    names = [v.name for _url, v in keys]
    waits = []
    try:
        for _ in range(4):  # the first one also waits for the processes to start: not counted
            realization = services.realization_create(
                allocation=allocation, date=dt.date(allocation.ceiling.fiscal_year, 6, 1), amount=1,
                description="bench")
            committed = time.perf_counter()
            deadline = committed + 120
            while time.perf_counter() < deadline:
                entry = Entry.objects.filter(record_type="programs.realization", record_id=realization.pk).first()
                if entry is not None and Checkpoint.objects.filter(size__gt=entry.index).filter(
                        cosignatures__witness=names[0]).filter(cosignatures__witness=names[1]).exists():
                    break
                time.sleep(0.1)
            else:
                raise SystemExit(f"realization #{realization.pk} not in a witnessed checkpoint after 120 s")
            waits.append(time.perf_counter() - committed)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)
        for server in servers:
            server.shutdown()
    return {"waits": waits[1:], "first": waits[0], "seconds": settings.LEDGER_SECONDS}


def main(argv: list[str]) -> int:
    from tests.bench.rollup_bench import _bench_database_url, ensure_national, setup_django

    os.environ.setdefault("CACHE_KEY_PREFIX", "ikmrelief-bench-ledger")
    setup_django(_bench_database_url())
    from ledger.models import Entry, PendingEntry

    phases = argv or ["build", "verify", "proof", "append", "witnessed"]
    generated = ensure_national()
    print(f"PostgreSQL {_server_version()} · data set {generated}")
    ok = True
    if "build" in phases:
        if Entry.objects.exists() and not os.environ.get("BENCH_LEDGER_REBUILD"):
            from ledger import log

            added = PendingEntry.objects.count()  # the other benchmarks' writes, integrated as the worker would
            while log.integrate() is not None and PendingEntry.objects.exists():
                pass
            print(f"build          reused: {Entry.objects.count():,} entries, {added:,} added since "
                  "(BENCH_LEDGER_REBUILD=1 to measure the build)")
        else:
            b = build()
            print(f"build          {b['size']:,} entries in {b['total_s']:.0f} s (queued in {b['queued_s']:.0f} s, "
                  f"{b['batches']} batches) · floor (hashlib) {b['floor_s']:.1f} s · "
                  f"{b['total_s'] / b['floor_s']:.1f}× floor · {b['size'] / b['total_s']:,.0f} entries/s")
    if "verify" in phases:
        v = verify()
        shares = [f / r for f, r in zip(v["floors"], v["runs"], strict=True)]
        ok &= min(shares) >= 0.25
        print(f"zip            {v['zip_bytes'] / 1e9:.2f} GB written in {v['zip_s']:.0f} s")
        print(f"verify         {v['size']:,} entries from the zip: {min(v['runs']):.1f}–{max(v['runs']):.1f} s · "
              f"floor {min(v['floors']):.1f}–{max(v['floors']):.1f} s · speed "
              f"{min(shares):.0%}–{max(shares):.0%} of the floor (target ≥ 25 %)")
    if "proof" in phases:
        p = proof()
        served, ping = statistics.median(p["served_ms"]), statistics.median(p["ping_ms"])
        print(f"proof          {p['paths']} files for one inclusion proof, uncached: median {served:.1f} ms "
              f"(p90 {statistics.quantiles(p['served_ms'], n=10)[8]:.1f}) · /ping/ {ping:.2f} ms · "
              f"{served / ping:.1f}× floor")
    if "append" in phases:
        a = append()
        print(f"append         {WRITERS} writers × {APPEND_ROUNDS} rounds each way: p99 with the log "
              f"{a['p99_with']:.1f} ms · without {a['p99_without']:.1f} ms · "
              f"{a['p99_with'] / a['p99_without']:.2f}× · medians {statistics.median(a['with']) * 1000:.1f} / "
              f"{statistics.median(a['without']) * 1000:.1f} ms")
    if "witnessed" in phases:
        w = witnessed()
        ok &= max(w["waits"]) < 60
        print(f"witnessed      commit → checkpoint cosigned by 2 witnesses: "
              f"{min(w['waits']):.1f}–{max(w['waits']):.1f} s (beat every {w['seconds']} s; first, "
              f"with the processes starting: {w['first']:.1f} s; target < 60 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
