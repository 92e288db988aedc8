"""Issue 19, finding 5: the chain is keyed and checkpointed (decision 0035).

Each test plays an intruder who can write to the database (raw SQL, append-only triggers
dropped) but holds neither the master keyset nor the checkpoint directory. Before the fix a
plain SHA-256 chain let them rewrite a lane, or cut its end off, and `verify` passed.
"""

from __future__ import annotations

import importlib
import io
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from lookout.audit.chain import HASHED_COLUMNS, unkeyed_entry_hash
from lookout.audit.checkpoints import checkpoint_dir, read_checkpoints, write_checkpoint
from lookout.audit.models import GENESIS_HASH, AuditEntry
from lookout.audit.services import record
from lookout.audit.tasks import write_checkpoint_task
from lookout.audit.testing import append_only_suspended
from lookout.audit.verify import verify_chain

rechain_migration = importlib.import_module("lookout.audit.migrations.0006_keyed_chain")


def _lane(count: int) -> list[AuditEntry]:
    """`count` entries in one lane (one connection keeps its lane), numbered 1, 2, 3, ..."""
    entries = [record(actor=None, action="test.entry", detail={"n": n}) for n in range(count)]
    assert len({e.lane for e in entries}) == 1
    return entries


def _rows(lane: int | None) -> list[dict]:
    return list(
        AuditEntry.objects.filter(lane=lane).order_by("lane_seq").values(*HASHED_COLUMNS, "hash")
    )


def _rewrite_the_old_way(rows: list[dict]) -> None:
    """Re-chain `rows` (one lane, in order) with the old unkeyed formula and store them: what
    anyone with write access could do to a plain SHA-256 chain."""
    prev = GENESIS_HASH
    with append_only_suspended():
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = unkeyed_entry_hash(row)
            AuditEntry.objects.filter(seq=row["seq"]).update(
                **{k: row[k] for k in ("detail", "lane_seq", "prev_hash", "hash")}
            )


def _delete(*entries: AuditEntry) -> None:
    with append_only_suspended(), connection.cursor() as cursor:
        for entry in entries:
            cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [entry.seq])


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_an_entry_edited_and_its_lane_rehashed_the_old_way_is_detected():
    # given a lane of five entries
    entries = _lane(5)
    # when an intruder edits the second entry's detail and recomputes the rest of the lane with
    # the plain SHA-256 the chain used to have
    rows = _rows(entries[0].lane)
    rows[1]["detail"] = {"n": 99}
    _rewrite_the_old_way(rows)

    # then the edited entry no longer verifies: its hash needs the key
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, entries[0].seq)
    assert f"lane {entries[0].lane}: its hash does not match" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_an_entry_deleted_inside_a_lane_and_the_rest_renumbered_is_detected():
    # given a lane of five entries
    entries = _lane(5)
    # when the third is deleted and the two after it renumbered and re-chained the old way, so
    # that the lane has no hole and every link holds
    rows = _rows(entries[0].lane)
    _delete(entries[2])
    del rows[2]
    for row in rows[2:]:
        row["lane_seq"] -= 1
    _rewrite_the_old_way(rows)

    # then verification fails (at the first entry rewritten without the key)
    result = verify_chain()
    assert not result.ok
    assert result.first_broken_seq == entries[0].seq


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_the_end_of_a_lane_deleted_after_a_checkpoint_is_detected():
    # given a lane of five entries, checkpointed
    entries = _lane(5)
    write_checkpoint()
    # when the last two entries are deleted (the lane left is still a valid chain)
    _delete(entries[3], entries[4])

    # then verification names the lane, the entry the checkpoint recorded, and what is missing
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, entries[4].seq)
    assert f"lane {entries[0].lane}: checkpoint" in result.reason
    assert "recorded entry #5" in result.reason and "ends at entry #3" in result.reason
    assert "entries #4 to #5 were deleted from its end" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_a_whole_lane_deleted_after_a_checkpoint_is_detected():
    entries = _lane(2)
    write_checkpoint()
    _delete(*entries)

    result = verify_chain()

    assert not result.ok and "has no entries" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_a_lane_rebuilt_with_other_entries_is_detected_against_the_checkpoint():
    # Even a lane re-written with valid keyed entries (e.g. put back from an older backup and
    # continued) is caught: the checkpointed place now holds another entry.
    entries = _lane(3)
    write_checkpoint()
    _delete(*entries)
    again = _lane(3)
    assert again[0].lane == entries[0].lane

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, again[2].seq)
    assert "is not the entry checkpoint" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_a_tampered_checkpoint_file_is_detected():
    # given a checkpoint, and the lane then cut short
    entries = _lane(4)
    written = write_checkpoint()
    _delete(entries[3])
    # when the checkpoint file is edited to match the shorter lane
    path = checkpoint_dir() / written.name
    document = json.loads(path.read_text())
    for head in document["heads"]:
        if head["lane"] == entries[0].lane:
            head.update(place=3, seq=entries[2].seq, hash=entries[2].hash)
    path.write_text(json.dumps(document))

    # then the file's signature fails, and verification with it
    result = verify_chain()
    assert not result.ok
    assert f"checkpoint {written.name}: its signature does not match" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_a_clean_log_with_checkpoints_verifies():
    # given entries, checkpoints between them (one from the scheduler's task), more entries
    _lane(3)
    write_checkpoint()
    record(actor=None, action="test.entry")
    write_checkpoint_task.call()
    record(actor=None, action="test.entry")

    result = verify_chain()

    assert (result.ok, result.checked, result.checkpoints) == (True, 5, 2)
    assert len(read_checkpoints()) == 2


def _command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_checkpoint_command_writes_a_file_and_verify_reports_a_cut_lane():
    entries = _lane(3)

    code, out, _ = _command("checkpoint")
    assert code == 0 and "Checkpoint" in out
    assert f"lane {entries[0].lane}: entry #3 (seq {entries[2].seq})" in out
    code, out, _ = _command("verify")
    assert code == 0 and "1 checkpoint(s) match" in out

    _delete(entries[2])
    code, _, err = _command("verify")
    assert code == 1
    assert f"BROKEN at entry #{entries[2].seq}: lane {entries[0].lane}: checkpoint" in err


# --- Existing logs: migration 0006 re-chains them under the key, once. ----------------------


def _unkeyed_log() -> list[AuditEntry]:
    """A log as the old code wrote it: two entries before lanes, three in lane 1, all plain
    SHA-256."""
    from django.utils import timezone

    made, prev = [], GENESIS_HASH
    for seq, lane, place in [(1, None, None), (2, None, None), (3, 1, 1), (4, 1, 2), (5, 1, 3)]:
        if place == 1:
            prev = GENESIS_HASH
        values = {
            "seq": seq, "at": timezone.now(), "actor_ref": "system", "actor_role": "system",
            "action": "test.old", "subject_ref": "", "fields": [], "purpose": "",
            "outcome": "ok", "target": "", "targets": None, "detail": {"n": seq},
            "lane": lane, "lane_seq": place, "prev_hash": prev,
        }  # fmt: skip
        made.append(AuditEntry.objects.create(hash=unkeyed_entry_hash(values), **values))
        prev = made[-1].hash
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('audit_auditentry', 'seq'), 6)")
    return made


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_migration_rechains_an_existing_log_under_the_key():
    # given a log written with the old unkeyed hash: it no longer verifies
    old = _unkeyed_log()
    assert not verify_chain().ok

    # when the migration runs
    rechain_migration.forwards(apps, SimpleNamespace(connection=connection))

    # then the whole log verifies, and new entries chain on from it
    record(actor=None, action="test.new")
    result = verify_chain()
    assert (result.ok, result.checked) == (True, 6)
    assert {e.hash for e in AuditEntry.objects.all()}.isdisjoint({e.hash for e in old})
    # and the triggers are back
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="test.other")


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_migration_refuses_to_bless_a_log_already_tampered_with():
    # given an old log whose lane entry #2 was edited (hash not recomputed)
    old = _unkeyed_log()
    with append_only_suspended():
        AuditEntry.objects.filter(seq=4).update(detail={"n": 99})

    # then the migration stops, naming the entry, and changes nothing
    refused = pytest.raises(rechain_migration.BrokenLog, match=r"lane 1, entry #2 \(seq 4\)")
    with refused, transaction.atomic():
        rechain_migration.forwards(apps, SimpleNamespace(connection=connection))
    assert dict(AuditEntry.objects.values_list("seq", "hash")) == {e.seq: e.hash for e in old}


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_the_scheduler_writes_checkpoints():
    from lookout.core.scheduler import periodic_jobs, resolve

    entry = next(p for p in periodic_jobs() if p.name == "audit.checkpoint")
    entries = _lane(2)

    task = resolve(entry.task)
    assert task is not None
    task.call()

    (written,) = read_checkpoints()
    heads = {(h.lane, h.place, h.hash) for h in written.heads}
    assert (entries[0].lane, 2, entries[1].hash) in heads
