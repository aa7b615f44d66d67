"""Shared fixtures: real PostgreSQL and Redis (from DATABASE_URL / REDIS_URL), the
Kemendagri regions, and the personas every test speaks of:

- ``banten_coordinator`` — Wulan, budget coordinator of Banten (BPKAD): ceilings, allocations
- ``banten_officer``  — Rina, OPD officer of Banten (Disperindag Banten)
- ``dinsos_officer``  — Budi, OPD officer of Banten (Dinsos Banten), the other OPD
- ``serang_staff``    — Sari, district staff of Disperindag Kabupaten Serang (36.04), the insider
- ``serang_dinsos``   — Yusuf, district staff of Dinsos Kabupaten Serang (KPM families)
- ``lebak_staff``     — Asep, district staff of Kabupaten Lebak (36.02), the outsider
- ``kalsel_officer``  — Mahyuni, provincial officer of Kalimantan Selatan (another province)
- ``national_admin``  — Admin of Ditjen IKMA, Kemenperin
- the anonymous public is Django's test ``client`` without login.
"""

import pytest
from django.core.cache import cache
from django.utils import translation

from accounts.models import User
from core.models import Region
from core.services import regions_load
from programs.models import Agency, FundingSource
from programs.reference import funding_sources_load
from tests.factories import AgencyFactory, UserFactory, region

# An anonymous public page sets and resets its statement budget (core.budget): two statements.
BUDGET_QUERIES = 2

@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # The ledger's tables refuse TRUNCATE unless the session says otherwise; the test database
        # says so, so that a transactional test can be emptied after it (Django's flush truncates).
        from django.db import connection, connections

        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
                           "SET ikmrelief.allow_truncate = 'on'")
        connections.close_all()
        _load_reference_data()


def _load_reference_data():
    """Regions and funding sources: what migrations and load_regions give a real database."""
    regions_load()
    funding_sources_load(FundingSource)


@pytest.fixture
def regions(db):
    """The 552 regions; reloaded cheaply after a transactional test flushed them."""
    if not Region.objects.exists() or not FundingSource.objects.exists():
        _load_reference_data()
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.5 s per persona; what the tests check is login, not the hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor(request, settings):
    """Staff sign in with a password alone in tests, except those marked ``two_factor`` (which
    test the second step itself, tests/core/test_two_factor.py): what the other tests check is
    what a signed-in role may do, not how it signed in."""
    settings.TWO_FACTOR_REQUIRED = request.node.get_closest_marker("two_factor") is not None


@pytest.fixture(autouse=True)
def _indonesian():
    # A request in English leaves English active in this thread; every test starts in Indonesian.
    translation.activate("id")
    yield
    translation.activate("id")


@pytest.fixture(autouse=True)
def _clear_cache():
    from core.cache import forget_process_copies

    cache.clear()
    forget_process_copies()  # the process's copies of pages and of the rollup stamp, too
    yield


@pytest.fixture
def disperindag_banten(regions):
    return AgencyFactory(name="Dinas Perindustrian dan Perdagangan Provinsi Banten", short_name="Disperindag Banten")


@pytest.fixture
def banten_officer(regions, disperindag_banten):
    return UserFactory(
        username="rina", role=User.Role.PROVINCIAL_OFFICER, province=region("36"), agency=disperindag_banten
    )


@pytest.fixture
def banten_coordinator(regions):
    bpkad = AgencyFactory(name="Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Banten", short_name="BPKAD Banten",
                          kind=Agency.Kind.FINANCE)
    return UserFactory(username="wulan", role=User.Role.COORDINATOR, province=region("36"), agency=bpkad)


@pytest.fixture
def dinsos_banten(regions):
    return AgencyFactory(name="Dinas Sosial Provinsi Banten", short_name="Dinsos Banten", kind=Agency.Kind.DINSOS)


@pytest.fixture
def dinsos_officer(regions, dinsos_banten):
    return UserFactory(username="budi", role=User.Role.PROVINCIAL_OFFICER, province=region("36"), agency=dinsos_banten)


@pytest.fixture
def kalsel_officer(regions):
    disperin = AgencyFactory(name="Dinas Perindustrian Provinsi Kalimantan Selatan", short_name="Disperin Kalsel",
                             kind=Agency.Kind.DISPERIN, province=region("63"))
    return UserFactory(username="mahyuni", role=User.Role.PROVINCIAL_OFFICER, province=region("63"), agency=disperin)


@pytest.fixture
def serang_staff(regions):
    return UserFactory(username="sari", role=User.Role.DISTRICT_STAFF, province=region("36"), regency=region("36.04"),
                       district_office=User.Office.IKM)


@pytest.fixture
def serang_dinsos(regions):
    return UserFactory(username="yusuf", role=User.Role.DISTRICT_STAFF, province=region("36"),
                       regency=region("36.04"), district_office=User.Office.KPM)


@pytest.fixture
def lebak_staff(regions):
    return UserFactory(username="asep", role=User.Role.DISTRICT_STAFF, province=region("36"), regency=region("36.02"),
                       district_office=User.Office.IKM)


@pytest.fixture
def national_admin(regions):
    return UserFactory(username="admin-ikma", role=User.Role.NATIONAL_ADMIN, is_staff=True)


@pytest.fixture
def login(client):
    """``login(user)`` → the test client, logged in as that persona."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming from the real Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from ikmrelief.celery import app

    app.loader.import_default_modules()
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1, shutdown_timeout=20):
        yield


@pytest.fixture
def celery_beat(tmp_path):
    """`celery beat` as `make run` starts it, on the test's broker, with its schedule as configured
    (the ledger every LEDGER_SECONDS, 10 s) but the live figures every 5 s."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, LIVE_ROLLUP_SECONDS="5", CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat"))
    process = subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "ikmrelief", "beat",
                                "-l", "warning"], env=env, cwd=Path(__file__).resolve().parents[1])
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)
        # What it queued and no worker took (a live rollup, an integration) must not be run by the
        # next test's worker against that test's data.
        from ikmrelief.celery import app

        app.control.purge()


def wait_for(predicate, timeout=30.0):
    """Poll until ``predicate()`` is truthy (work done by the Celery worker thread)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port; ``.messages`` holds what arrived.
    Django's SMTP backend is pointed at it for the test."""
    import email
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield inbox
    finally:
        controller.stop()
