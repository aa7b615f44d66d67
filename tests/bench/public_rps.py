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


def hammer(path, requests: int = REQUESTS) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) for ``requests`` GETs from CLIENTS keep-alive
    connections. ``path`` is a string, or a function of the request number (a new URL each time)."""
    per_client = requests // CLIENTS
    errors, latencies = [], []
    url = path if callable(path) else (lambda i: path)

    def client(offset):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for i in range(per_client):
            start = time.perf_counter()
            conn.request("GET", url(offset + i))
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            if response.status != 200:
                errors.append(response.status)

    for i in range(20):  # warm up (and fill the cache)
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        c.request("GET", url(-i - 1))
        c.getresponse().read()
    threads = [threading.Thread(target=client, args=(n * per_client,)) for n in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{path}: {len(errors)} errors, e.g. {errors[0]}")
    latencies.sort()
    return per_client * CLIENTS / elapsed, latencies[int(len(latencies) * 0.99) - 1] * 1000


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
            results[f"minimal view /ping/ ({label} server)"] = hammer("/ping/")
            if label == "cached":
                results["/provinsi/36/ cached"] = hammer("/provinsi/36/")
                # What a crawler or a shared link sends: a new query string on every request.
                results["/provinsi/36/?utm_source=… (new each time)"] = hammer(
                    lambda i: f"/provinsi/36/?utm_source=wa{i}&fbclid={i * 7}")
            else:
                # A render on every request reads the national-scale rollup: fewer requests.
                results["/provinsi/36/ rendered every time"] = hammer("/provinsi/36/", 400)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"== public page throughput on the national-scale data set: {REQUESTS} requests (400 rendered), "
          f"{CLIENTS} client threads, gunicorn {WORKERS} sync workers, {os.cpu_count()} cores")
    for name, (rps, p99) in results.items():
        print(f"{name:48s} {rps:8.0f} req/s  p99 {p99:7.1f} ms")
    bare = results["minimal view /ping/ (cached server)"][0]
    cached = results["/provinsi/36/ cached"][0] / bare
    new_query = results["/provinsi/36/?utm_source=… (new each time)"][0] / bare
    rendered = results["/provinsi/36/ rendered every time"][0] / results["minimal view /ping/ (uncached server)"][0]
    print(f"cached / minimal view                            {cached:8.2f}×  (target ≥ 0.8)")
    print(f"new query string each time / minimal view        {new_query:8.2f}×  (target ≥ 0.2; was 0.047)")
    print(f"rendered every time / minimal view               {rendered:8.2f}×  (for reference)")
    ok = cached >= 0.8 and new_query >= 0.2
    print("targets:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
