"""Requests per second of the public province page, cached and uncached, against a minimal
Django view on the same server in the same run. On purpose: `make bench`.

Starts gunicorn on 127.0.0.1 (loopback only) against its own database with the demo data,
sends a bounded number of keep-alive requests from client threads, and prints the figures
recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORT = 8765
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 3000))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 8))
WORKERS = int(os.environ.get("BENCH_WORKERS", 4))


def database_url() -> str:
    """The national-scale data set of rollup_bench (run first by `make bench`)."""
    from tests.bench.rollup_bench import _bench_database_url

    return _bench_database_url()


def prepare(env) -> None:
    from tests.bench.rollup_bench import _ensure_database

    _ensure_database(env["DATABASE_URL"])
    for args in (["migrate", "-v0"], ["load_regions"], ["rollup"]):
        subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def serve(env):
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "ikmrelief.wsgi", "-b", f"127.0.0.1:{PORT}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/ping/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def hammer(path: str, requests: int = REQUESTS) -> float:
    """Requests per second for ``requests`` GETs of ``path`` from CLIENTS keep-alive connections."""
    per_client = requests // CLIENTS
    errors = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for _ in range(per_client):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)

    for _ in range(20):  # warm up (and fill the cache)
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        c.request("GET", path)
        c.getresponse().read()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{path}: {len(errors)} errors, e.g. {errors[0]}")
    return per_client * CLIENTS / elapsed


def main() -> int:
    env = dict(os.environ, DATABASE_URL=database_url(), DJANGO_DEBUG="0",
               DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-bench-only-secret-key"),
               DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", CACHE_KEY_PREFIX="ikmrelief-bench")
    sys.path.insert(0, str(ROOT))
    prepare(env)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    results = {}
    # The uncached server gets its own key prefix, so it cannot read what the cached one stored.
    uncached = {"PUBLIC_CACHE_SECONDS": "0", "CACHE_KEY_PREFIX": "ikmrelief-bench-nocache"}
    for label, extra in (("cached", {}), ("uncached", uncached)):
        server = serve({**env, **extra})
        try:
            results["minimal view /ping/ (" + label + " run)"] = hammer("/ping/")
            # An uncached render reads the national-scale rollup: fewer requests keep the run short.
            results[f"/provinsi/36/ {label}"] = hammer("/provinsi/36/", REQUESTS if label == "cached" else 400)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"== public page throughput on the national-scale data set: {REQUESTS} requests (400 uncached), "
          f"{CLIENTS} client threads, gunicorn {WORKERS} sync workers, {os.cpu_count()} cores")
    for name, rps in results.items():
        print(f"{name:42s} {rps:8.0f} req/s")
    ratio = results["/provinsi/36/ cached"] / results["minimal view /ping/ (cached run)"]
    print(f"cached province page / minimal view      {ratio:8.2f}×  (target ≥ 0.6)")
    return 0 if ratio >= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
