"""The command-line verifier (``ikmrelief-verify``, no Django) against the live site: it verifies the
demo's log from its URL and from the open-data zip, remembers the checkpoint, accepts the log grown
since, exits non-zero naming the first bad tile when an entry is changed behind the log's back (its
triggers disabled), and checks that the records behind a page's figure are in the log and add up."""

import subprocess
import sys
import urllib.request
import zipfile

import pytest
from django.db import connection

from ledger import entries, log
from ledger.models import Entry
from tests.core.test_permission_matrix import demo  # noqa: F401


def _verify(url, key, state, *extra):
    return subprocess.run([sys.executable, "-m", "ikmrelief_verify", url, "--key", key, "--state", str(state),
                           *extra], capture_output=True, text=True, timeout=120)


def _download(url, path):
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - the test's live server
        assert response.headers["Content-Type"] == "application/zip"
        path.write_bytes(response.read())
    return path


@pytest.mark.django_db(transaction=True)
def test_the_open_data_zip_verifies_offline_and_a_damaged_copy_names_its_tile(live_server, demo, tmp_path):  # noqa: F811
    log.integrate()
    key = log.signer().verifier.vkey
    archive = _download(f"{live_server.url}/data/buku-besar.zip", tmp_path / "buku-besar.zip")
    size = Entry.objects.count()
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert z.read("buku-besar/checkpoint").decode() == log.served(log.latest())
        assert key in z.read("buku-besar/BACA.txt").decode()
    assert f"buku-besar/tile/0/000.p/{size}" in names and f"buku-besar/tile/entries/000.p/{size}" in names
    ok = _verify(str(archive), key, tmp_path / "state.json")
    assert ok.returncode == 0, ok.stderr
    assert f"{size} entri" in ok.stdout

    # A copy with one entry changed: not verified, the bundle named.
    damaged = tmp_path / "rusak.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.startswith("buku-besar/tile/entries/"):
                data = data.replace(b'"amount":', b'"amount":9', 1)
            dst.writestr(name, data)
    bad = _verify(str(damaged), key, tmp_path / "state.json")
    assert bad.returncode == 1 and f"tile/entries/000.p/{size}" in bad.stderr, bad.stderr
    assert _verify(str(tmp_path / "state.json"), key, tmp_path / "s2.json").returncode == 2  # not a zip


@pytest.mark.django_db(transaction=True)
def test_a_figures_records_are_in_the_log_and_add_up_to_the_page(live_server, demo, tmp_path):  # noqa: F811
    from django.core.cache import cache

    from core.cache import forget_process_copies
    from programs.models import Realization
    from reports.models import BudgetRollup
    from reports.rollup import rollup_run

    log.integrate()
    rollup_run()
    key = log.signer().verifier.vkey
    realized = sum(BudgetRollup.objects.filter(province__code="36", fiscal_year=2020)
                   .values_list("realized_amount", flat=True))
    n = Realization.objects.filter(allocation__ceiling__province__code="36",
                                   allocation__ceiling__fiscal_year=2020).count()
    assert realized > 0 and n >= 2
    trail = f"{live_server.url}/jejak/realisasi/?provinsi=36&tahun=2020"
    ok = _verify(f"{live_server.url}/buku-besar", key, tmp_path / "s.json", "--figure", trail)
    assert ok.returncode == 0, ok.stderr
    assert f"Rp{realized:,}".replace(",", ".") + f" = {n} catatan" in ok.stdout
    # The same from the downloaded zip (the figure read from the site).
    archive = _download(f"{live_server.url}/data/buku-besar.zip", tmp_path / "buku-besar.zip")
    allocated = _verify(str(archive), key, tmp_path / "z.json", "--figure",
                        f"{live_server.url}/jejak/alokasi/?provinsi=36&tahun=2020")
    assert allocated.returncode == 0 and "figure alokasi provinsi=36&tahun=2020" in allocated.stdout, allocated.stderr

    # The page's figure edited behind the rollup's back: the records do not add up to it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE programs_budgetrollup SET realized_amount = realized_amount + 1000 WHERE id = ("
                       " SELECT r.id FROM programs_budgetrollup r JOIN core_region p ON p.id = r.province_id"
                       " WHERE r.realized_amount > 0 AND p.code = '36' AND r.fiscal_year = 2020 ORDER BY r.id LIMIT 1)")
    cache.clear()  # the pages' caches, emptied as a minute would
    forget_process_copies()
    off = _verify(f"{live_server.url}/buku-besar", key, tmp_path / "s.json", "--figure", trail)
    assert off.returncode == 1 and f"add up to {realized:,}, the page shows {realized + 1000:,}" in off.stderr, \
        off.stderr

    # A realization's amount changed by plain SQL: the trail no longer says what the log says.
    row = Realization.objects.filter(allocation__ceiling__province__code="36",
                                     allocation__ceiling__fiscal_year=2020).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE programs_realization SET amount = amount + 1 WHERE id = %s", [row.pk])
    cache.clear()
    forget_process_copies()
    edited = _verify(f"{live_server.url}/buku-besar", key, tmp_path / "s.json", "--figure", trail)
    assert edited.returncode == 1, edited.stdout
    assert f"programs.realization #{row.pk}: the trail says {row.amount + 1}" in edited.stderr, edited.stderr

    # Not a trail page: could not check (2), never verified.
    assert _verify(f"{live_server.url}/buku-besar", key, tmp_path / "s.json", "--figure",
                   f"{live_server.url}/provinsi/36/").returncode == 2


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
    archive = _download(f"{live_server.url}/data/buku-besar.zip", tmp_path / "buku-besar.zip")
    offline = subprocess.run([str(env_dir / "bin" / "ikmrelief-verify"), str(archive),
                              "--key", log.signer().verifier.vkey], capture_output=True, text=True, timeout=120)
    assert offline.returncode == 0 and "terverifikasi" in offline.stdout, offline.stderr
    assert f"{Entry.objects.count()} entri" in check.stdout
