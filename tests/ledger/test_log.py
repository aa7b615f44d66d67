"""The ledger in the product: every public budget event is an entry written in the transaction of
its change; the worker sequences entries into a tlog-tiles tree and signs checkpoints that the
verifier package accepts; what the site serves is enough to recompute the root and prove an
entry; the log refuses UPDATE, DELETE and TRUNCATE; no person data is ever in an entry."""

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction
from ikmrelief_verify import merkle, note, tiles
from ikmrelief_verify.checkpoint import Checkpoint as CheckpointBody

from ledger import entries, log
from ledger.models import Checkpoint, Entry, PendingEntry
from programs import services
from recipients.models import Member, RecipientGroup
from tests.core.test_permission_matrix import demo  # noqa: F401

pytestmark = pytest.mark.django_db


def _served(client):
    def fetch(path):
        response = client.get(f"/buku-besar/{path}")
        assert response.status_code == 200, path
        assert "immutable" in response["Cache-Control"]
        return response.content
    return fetch


def test_the_demo_becomes_a_signed_log_that_the_verifier_package_checks(client, demo):  # noqa: F811
    kinds = set(PendingEntry.objects.values_list("kind", flat=True))
    assert {entries.CEILING_SET, entries.ALLOCATION_MADE, entries.ALLOCATION_REVISED, entries.REALIZATION_RECORDED,
            entries.APPLICATION_APPROVED, entries.HANDOVER_RECORDED} <= kinds
    pending = list(PendingEntry.objects.order_by("id").values_list("body", flat=True))
    checkpoint = log.integrate()
    assert checkpoint.size == len(pending) and not PendingEntry.objects.exists()
    assert log.integrate() is None  # nothing new: no new checkpoint
    # The signed checkpoint, fetched as a citizen would, opens with the log's public key.
    served = client.get("/buku-besar/checkpoint")
    assert served["Content-Type"] == "text/plain; charset=utf-8"
    text, signers = note.open_note(served.content, [log.signer().verifier])
    head = CheckpointBody.parse(text)
    assert (head.origin, head.size) == (log.origin(), len(pending)) and list(signers) == [log.origin()]
    # The root, from the entries in commit order and from the tiles the site serves.
    leaves = [merkle.leaf_hash(bytes(b)) for b in pending]
    assert head.root == merkle.root(leaves)
    reader = tiles.TileReader(head.size, _served(client))
    assert merkle.tree_hash(head.size, reader.full) == head.root
    bundle = tiles.unbundle(_served(client)(tiles.path("entries", 0, min(head.size, 256))))
    assert [merkle.leaf_hash(e) for e in bundle] == leaves[:256]
    # An inclusion proof of the last entry, made from served tiles.
    proof = merkle.inclusion_proof(head.size - 1, head.size, reader.full)
    merkle.verify_inclusion(leaves[-1], head.size - 1, head.size, proof, head.root)
    assert client.get("/buku-besar/tile/0/999").status_code == 404
    assert client.get("/buku-besar/tile/entries/000.p/256").status_code == 404


def test_no_person_data_in_any_entry(demo):  # noqa: F811
    log.integrate()
    bodies = "\n".join(bytes(b).decode() for b in Entry.objects.values_list("body", flat=True))
    people = set(Member.objects.values_list("name", flat=True)) | set(Member.objects.values_list("nik", flat=True))
    people |= set(RecipientGroup.objects.values_list("leader_name", flat=True))
    people |= set(RecipientGroup.objects.values_list("leader_nik", flat=True))
    people |= {p for p in RecipientGroup.objects.values_list("contact_phone", flat=True) if p}
    people |= set(RecipientGroup.objects.filter(kind="kpm").values_list("name", flat=True))
    assert sorted(p for p in people - {""} if p in bodies) == []
    one = json.loads(bytes(Entry.objects.get(index=0).body))
    assert set(one) == {"kind", "record", "id", "time", "office", "role", "fields"}


def test_a_write_and_its_entry_commit_together_or_not_at_all(demo):  # noqa: F811
    from accounts.models import User
    from programs.models import Allocation

    banten_officer = User.objects.get(username="banten")
    allocation = Allocation.objects.filter(program__agency=banten_officer.agency).first()
    before = PendingEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.realization_create(allocation=allocation, date=dt.date(2020, 6, 1), amount=1_000_000,
                                    description="Pelatihan jahit", actor=banten_officer)
        assert PendingEntry.objects.count() == before + 1
        raise RuntimeError("the request failed after the save")
    assert PendingEntry.objects.count() == before
    realization = services.realization_create(allocation=allocation, date=dt.date(2020, 6, 1), amount=1_000_000,
                                              description="Pelatihan jahit", actor=banten_officer)
    entry = json.loads(bytes(PendingEntry.objects.latest("id").body))
    assert entry["kind"] == entries.REALIZATION_RECORDED and entry["id"] == realization.pk
    assert entry["fields"]["amount"] == 1_000_000 and entry["office"] == str(banten_officer.agency)
    assert banten_officer.get_full_name() not in json.dumps(entry)


def test_the_log_refuses_update_delete_and_truncate(demo):  # noqa: F811
    log.integrate()
    for statement in ("UPDATE ledger_entry SET kind = 'x' WHERE index = 0", "DELETE FROM ledger_entry",
                      "UPDATE ledger_checkpoint SET size = size + 1", "DELETE FROM ledger_checkpoint"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    for table in ("ledger_entry", "ledger_checkpoint", "ledger_cosignature"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ikmrelief.allow_truncate = 'off'")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Entry.objects.count() and Checkpoint.objects.count()


def test_batches_across_tile_boundaries_stay_consistent(regions, banten_officer):
    from tests.factories import CeilingFactory

    ceiling = CeilingFactory(province=regions["36"])
    heads = []
    for batch in (1, 255, 1, 300, 43):
        for _ in range(batch):
            entries.record(entries.CEILING_CHANGED, ceiling, banten_officer)
        heads.append(log.integrate(limit=128 if batch == 300 else 10_000))
        while log.PendingEntry.objects.exists():
            heads.append(log.integrate(limit=128))
    sizes = [h.size for h in heads]
    assert sizes[-1] == 600 and sizes == sorted(sizes)
    bodies = [bytes(b) for b in Entry.objects.order_by("index").values_list("body", flat=True)]
    full = tiles.TileReader(600, log.fetch).full
    assert merkle.tree_hash(600, full) == merkle.root([merkle.leaf_hash(b) for b in bodies]) == heads[-1].root
    for old in heads[:-1]:
        proof = merkle.consistency_proof(old.size, 600, full)
        merkle.verify_consistency(old.size, 600, proof, bytes(old.root), bytes(heads[-1].root))


def test_the_beat_integrates_every_few_seconds(settings):
    assert settings.CELERY_BEAT_SCHEDULE["ledger-integrate"]["schedule"] == settings.LEDGER_SECONDS <= 60


def test_a_withheld_name_is_logged_as_the_fact_and_the_reason_never_the_name(demo):  # noqa: F811
    from accounts.models import User
    from recipients.services import group_withhold_name

    group = RecipientGroup.objects.get(name="Kelompok Masker Kain Ciruas")
    group_withhold_name(group=group, reason="Permintaan kelompok (keamanan usaha)", actor=User.objects.get(
        username="banten"))
    entry = json.loads(bytes(PendingEntry.objects.latest("id").body))
    assert entry["kind"] == entries.NAME_WITHHELD and entry["record"] == "recipients.recipientgroup"
    assert entry["fields"]["public_name"] is None
    assert entry["fields"]["name_withheld_reason"] == "Permintaan kelompok (keamanan usaha)"
    assert group.name not in bytes(PendingEntry.objects.latest("id").body).decode()


def test_the_ledger_page_shows_the_head_the_key_and_the_history(client, demo):  # noqa: F811
    log.integrate()
    page = client.get("/buku-besar/")
    assert page.status_code == 200
    html = page.content.decode()
    vkey = log.signer().verifier.vkey
    assert vkey in html and log.latest().note.splitlines()[2] in html  # the root line of the checkpoint
    assert f'data-testid="ledger-size">{Entry.objects.count()}<' in html.replace(".", "").replace(",", "")
    assert "Serah terima dicatat" in html and "/buku-besar/checkpoint" in html
    package = client.get("/data/datapackage.json").json()
    assert package["x_ledger"]["vkey"] == vkey and package["x_ledger"]["origin"] == log.origin()


def test_the_nightly_audit_names_a_row_changed_behind_the_applications_back(client, demo):  # noqa: F811
    from accounts.models import User
    from programs.models import Allocation, Realization
    from reports import ledger_audit

    # Revisions and a delivery after approval are changes the log explains: no problem.
    log.integrate()
    clean = ledger_audit.run()
    assert (clean.problem_count, clean.problems) == (0, []) and clean.checked > 50, clean.problems
    realization = Realization.objects.filter(reverses__isnull=True, handover__isnull=True).first()
    entry = Entry.objects.filter(record_type="programs.realization", record_id=realization.pk).latest("index")
    with connection.cursor() as cursor:  # an UPDATE nobody logged
        cursor.execute("UPDATE programs_realization SET amount = amount + 1000000 WHERE id = %s", [realization.pk])
    gone = Allocation.objects.filter(realizations__isnull=True, revisions__isnull=True).first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM programs_allocation WHERE id = %s", [gone.pk])
    audit = ledger_audit.run()
    assert audit.problem_count == 2
    changed = next(p for p in audit.problems if p["problem"] == "changed")
    assert (changed["record"], changed["id"], changed["entry"]) == ("programs.realization", realization.pk, entry.index)
    assert changed["fields"]["amount"] == {"logged": realization.amount, "now": realization.amount + 1_000_000}
    deleted = next(p for p in audit.problems if p["problem"] == "deleted")
    assert (deleted["record"], deleted["id"]) == ("programs.allocation", gone.pk)
    # The national admin sees it on the dashboard, and it is on the rollup page.
    client.force_login(User.objects.get(username="admin"))
    for url in ("/dasbor/", "/kelola/rekap/"):
        html = client.get(url).content.decode()
        assert f"programs.realization #{realization.pk}" in html and f"#{entry.index}" in html, url


def test_a_handover_is_logged_under_its_public_wording_never_the_group_name(demo):  # noqa: F811
    log.integrate()
    handovers = Entry.objects.filter(record_type="programs.realization")
    bodies = [json.loads(bytes(b)) for b in handovers.values_list("body", flat=True)]
    delivered = [b for b in bodies if b["fields"]["public_description"] == "Serah terima bantuan"]
    assert delivered and all(b["fields"]["is_illustrative"] for b in delivered)
    names = set(RecipientGroup.objects.values_list("name", flat=True))
    assert not [b for b in bodies if any(name in json.dumps(b) for name in names)]


def test_the_zip_download_streams_the_latest_checkpoint_in_few_queries(client, demo, django_assert_num_queries):  # noqa: F811
    import io
    import zipfile

    assert client.get("/data/buku-besar.zip").status_code == 404  # no checkpoint yet: nothing to download
    log.integrate()
    from programs.models import BudgetCeiling

    ceiling = BudgetCeiling.objects.first()
    for _ in range(600):  # three level-0 tiles and a level-1 tile above the first two
        entries.record(entries.CEILING_CHANGED, ceiling)
    log.integrate()
    size = log.tree_size()
    with django_assert_num_queries(5):  # checkpoint, its cosignatures, one query per tile level (2), the entries
        response = client.get("/data/buku-besar.zip")
        body = b"".join(response.streaming_content)
    assert response["Content-Disposition"] == f'attachment; filename="buku-besar-{size}.zip"'
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    wanted = {f"buku-besar/{tiles.path(level, index, width)}" for level, index, width in tiles.tiles_for(size)}
    wanted |= {f"buku-besar/{tiles.path('entries', index, width)}" for level, index, width in tiles.tiles_for(size)
               if level == 0}
    assert set(names) == wanted | {"buku-besar/checkpoint", "buku-besar/BACA.txt"}
