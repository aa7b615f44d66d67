"""The command-line verifier (``ikmrelief-verify``, no Django) against the live site: it verifies the
demo's log from its URL, remembers the checkpoint, accepts the log grown since, and exits non-zero
naming the first bad tile when an entry is changed behind the log's back (its triggers disabled)."""

import subprocess
import sys

import pytest
from django.db import connection

from ledger import entries, log
from ledger.models import Entry
from tests.core.test_permission_matrix import demo  # noqa: F401


def _verify(url, key, state, *extra):
    return subprocess.run([sys.executable, "-m", "ikmrelief_verify", url, "--key", key, "--state", str(state),
                           *extra], capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_the_verifier_checks_the_site_and_names_the_first_bad_tile(live_server, demo, tmp_path, settings):  # noqa: F811
    settings.SITE_URL = live_server.url
    log.integrate()
    url, key, state = f"{live_server.url}/buku-besar", log.signer().verifier.vkey, tmp_path / "state.json"
    first = _verify(url, key, state)
    assert first.returncode == 0, first.stderr
    size = Entry.objects.count()
    assert f"{size} entri" in first.stdout and f'"size": {size}' in state.read_text()

    # The log grows: still consistent with what was saved.
    from programs.models import BudgetCeiling
    for _ in range(300):
        entries.record(entries.CEILING_CHANGED, BudgetCeiling.objects.first())
    log.integrate()
    grown = _verify(url, key, state)
    assert grown.returncode == 0, grown.stderr
    assert f"{size + 300} entri" in grown.stdout

    # Another key is refused; an unreachable site is "could not check", not "verified".
    other = _verify(url, key.replace(key.split("+")[0], "palsu.example/log", 1), tmp_path / "x.json")
    assert other.returncode in (1, 2) and "verified:" not in other.stdout
    assert _verify("http://127.0.0.1:9/buku-besar", key, tmp_path / "y.json").returncode == 2

    # An entry changed with the log's triggers off: the first bad tile is named, exit 1.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN; SET LOCAL session_replication_role = replica; "
                       "UPDATE ledger_entry SET body = convert_to(replace(convert_from(body, 'UTF8'), "
                       "'\"amount\":', '\"amount\":1'), 'UTF8') WHERE index = 3; COMMIT;")
    tampered = _verify(url, key, state)
    assert tampered.returncode == 1
    assert "tile/entries/000.p/" in tampered.stderr or "tile/entries/000 " in tampered.stderr \
        or "tile/entries/000:" in tampered.stderr, tampered.stderr
    assert "entry 3 does not hash" in tampered.stderr


def test_the_verifier_package_needs_no_django():
    code = ("import sys, ikmrelief_verify.cli, ikmrelief_verify.tiles; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_verifier_installs_with_pip_into_a_fresh_venv_and_verifies_the_site(live_server, demo, tmp_path):  # noqa: F811
    import venv
    from pathlib import Path

    from django.conf import settings

    log.integrate()
    env_dir = tmp_path / "citizen"
    venv.create(env_dir, with_pip=True)
    install = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", str(Path(settings.BASE_DIR) / "verifier")],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    check = subprocess.run([str(env_dir / "bin" / "ikmrelief-verify"), f"{live_server.url}/buku-besar",
                            "--key", log.signer().verifier.vkey], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert f"{Entry.objects.count()} entri" in check.stdout
