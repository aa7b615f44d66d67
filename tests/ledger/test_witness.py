"""Witnesses (C2SP tlog-witness): the shipped witness answers as the specification says — 404 for
an unknown log, 403 for a bad signature, 409 with the size it knows, 422 for an inconsistent
checkpoint, 200 with a cosignature otherwise — and two of them, each its own process-like server
with its own key and state, cosign the product's checkpoints; after a log row is changed behind
the log's back, the next checkpoint is refused by both and the verifier no longer verifies it."""

import base64
import subprocess
import sys
import threading

import pytest
from django.db import connection
from ikmrelief_verify import merkle, note, witness
from ikmrelief_verify.checkpoint import Checkpoint as Head

from ledger import entries, log
from ledger.models import Checkpoint, Cosignature, Entry
from tests.core.test_permission_matrix import demo  # noqa: F401

ORIGIN = "ikmrelief.example.go.id/buku-besar"


def _request(old: int, proof: list[bytes], signed: str) -> bytes:
    return (f"old {old}\n" + "".join(base64.b64encode(p).decode() + "\n" for p in proof) + "\n" + signed).encode()


def test_the_witness_follows_the_specification(tmp_path):
    log_key = note.Signer.generate(ORIGIN)
    w = witness.Witness(note.Signer.generate("saksi.example/w1"), [log_key.verifier], tmp_path / "w1.json")
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(10)]

    def head(size):
        return note.sign(Head(ORIGIN, size, merkle.root(leaves[:size])).text, [log_key])

    def full(level, index):
        return merkle.root(leaves[index << level:(index + 1) << level])

    def status(body):
        try:
            return 200, w.add_checkpoint(body)
        except witness.Rejected as exc:
            return exc.status, exc.message

    other = note.Signer.generate("lain.example/log")
    assert status(_request(0, [], note.sign(Head("lain.example/log", 1, leaves[0]).text, [other])))[0] == 404
    forged = note.sign(Head(ORIGIN, 4, merkle.root(leaves[:4])).text, [note.Signer(ORIGIN, note.ED25519,
                                                                                   other.private_key)])
    assert status(_request(0, [], forged))[0] == 403
    assert status(_request(5, [], head(4)))[0] == 400
    code, line = status(_request(0, [], head(4)))
    assert code == 200 and line.startswith("— saksi.example/w1 ")
    text, signed = note.open_note(head(4) + line, [w.signer.verifier])
    assert signed["saksi.example/w1"] > 1_700_000_000  # a timestamped cosignature
    assert status(_request(0, [], head(6))) == (409, "4\n")
    wrong = [bytes(32)] * len(merkle.consistency_proof(4, 6, full))
    assert status(_request(4, wrong, head(6)))[0] == 422
    assert status(_request(4, merkle.consistency_proof(4, 6, full), head(6)))[0] == 200
    assert status(_request(6, [], head(6)))[0] == 200  # the same head again
    empty_wrong = note.sign(Head(ORIGIN, 0, leaves[0]).text, [log_key])
    w2 = witness.Witness(note.Signer.generate("saksi.example/w2"), [log_key.verifier], tmp_path / "w2.json")
    with pytest.raises(witness.Rejected) as refused:
        w2.add_checkpoint(_request(0, [], empty_wrong))
    assert refused.value.status == 422
    # The state is on disk: a restarted witness still knows size 6.
    again = witness.Witness(w.signer, [log_key.verifier], tmp_path / "w1.json")
    with pytest.raises(witness.Rejected) as stale:
        again.add_checkpoint(_request(4, merkle.consistency_proof(4, 6, full), head(6)))
    assert (stale.value.status, stale.value.message) == (409, "6\n")


@pytest.fixture
def two_witnesses(tmp_path, settings):
    servers, keys = [], []
    for name in ("saksi-its.example/w1", "saksi-ugm.example/w2"):
        signer = note.Signer.generate(name, note.COSIGNATURE_V1)
        w = witness.Witness(signer, [log.signer().verifier], tmp_path / f"{name.split('/')[0]}.json")
        server = witness.server(w, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        keys.append(signer.verifier.vkey)
    settings.LEDGER_WITNESSES = [f"http://127.0.0.1:{s.server_address[1]} {k}" for s, k in zip(servers, keys,
                                                                                                  strict=True)]
    yield keys
    for server in servers:
        server.shutdown()


def _verify(url, *args):
    return subprocess.run([sys.executable, "-m", "ikmrelief_verify", url, "--key", log.signer().verifier.vkey, *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_two_witnesses_cosign_and_refuse_a_rewritten_history(live_server, demo, two_witnesses, tmp_path):  # noqa: F811
    from ledger.tasks import integrate

    result = integrate()
    assert set(result["witnesses"].values()) == {"cosigned"}
    url = f"{live_server.url}/buku-besar"
    witnessed = [arg for key in two_witnesses for arg in ("--witness", key)]
    ok = _verify(url, *witnessed, "--state", str(tmp_path / "s.json"))
    assert ok.returncode == 0, ok.stderr
    # More entries: cosigned again, with a consistency proof from the last cosigned size.
    from programs.models import BudgetCeiling
    for _ in range(3):
        entries.record(entries.CEILING_CHANGED, BudgetCeiling.objects.first())
    assert set(integrate()["witnesses"].values()) == {"cosigned"}
    assert Cosignature.objects.values("checkpoint").distinct().count() == 2
    assert _verify(url, *witnessed, "--state", str(tmp_path / "s.json")).returncode == 0

    # An entry of the last (partial) tile rewritten with the log's triggers off: the next head is
    # not consistent with the cosigned one, and both witnesses refuse it.
    size = log.tree_size()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN; SET LOCAL session_replication_role = replica; "
                       "UPDATE ledger_entry SET body = convert_to(replace(convert_from(body, 'UTF8'), "
                       "'\"kind\"', '\"KIND\"'), 'UTF8') WHERE index = %s; COMMIT;", [size - 2])
    entries.record(entries.CEILING_CHANGED, BudgetCeiling.objects.first())
    refused = integrate()["witnesses"]
    assert all(outcome.startswith("refused (422)") for outcome in refused.values()), refused
    assert not log.latest().cosignatures.exists()
    # A reader who requires the witnesses no longer gets "verified".
    failed = _verify(url, *witnessed)
    assert failed.returncode == 1 and "cosigned by 0" in failed.stderr


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_in_a_checkpoint_both_witnesses_cosigned_within_60_s(demo, two_witnesses, celery_worker_thread,  # noqa: F811
                                                                         celery_beat):
    """Nobody calls anything: a real beat (LEDGER_SECONDS, 10 s) and a real worker integrate the
    entry, sign the head and ask the two witnesses over HTTP."""
    import datetime as dt
    import time

    from django.conf import settings as django_settings

    from accounts.models import User
    from programs import services
    from programs.models import Allocation

    officer = User.objects.get(username="banten")
    allocation = Allocation.objects.filter(program__agency=officer.agency, ceiling__fiscal_year=2020).first()
    realization = services.realization_create(allocation=allocation, date=dt.date(2020, 12, 1), amount=1_000_000,
                                              description="Mesin jahit tahap III", actor=officer)
    committed = time.monotonic()
    names = [note.Verifier.from_vkey(key).name for key in two_witnesses]

    def witnessed():
        entry = Entry.objects.filter(record_type="programs.realization", record_id=realization.pk).first()
        checkpoints = Checkpoint.objects.filter(size__gt=entry.index) if entry else Checkpoint.objects.none()
        for name in names:
            checkpoints = checkpoints.filter(cosignatures__witness=name)
        return checkpoints.order_by("size").first()

    checkpoint = None
    while checkpoint is None and time.monotonic() - committed < 60:
        time.sleep(0.5)
        checkpoint = witnessed()
    print(f"realization committed → in a checkpoint cosigned by both witnesses after "
          f"{time.monotonic() - committed:.1f} s (beat every {django_settings.LEDGER_SECONDS} s)")
    assert checkpoint is not None, "not in a witnessed checkpoint within 60 s"
    served = log.served(checkpoint)
    assert all(f"— {name} " in served for name in names)
