"""What `verify_chain` says when entries were deleted: which ones, in words an operator can act
on (C4.4). A lane's reasons name the lane, the chain from before lanes names none; a hole of
several entries is named as a range."""

from __future__ import annotations

import re

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from lookout.audit.chain import HASHED_COLUMNS, entry_hash
from lookout.audit.checkpoints import checkpoint_dir, read_checkpoints, write_checkpoint
from lookout.audit.models import AuditEntry
from lookout.audit.testing import append_only_suspended
from lookout.audit.tests.helpers import record_reveals
from lookout.audit.tests.test_verify import _legacy_entries
from lookout.audit.verify import verify_chain

pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C4.4")]


def _delete(*seqs: int) -> None:
    """Delete as an intruder with database access would: raw SQL, triggers dropped."""
    with append_only_suspended(), connection.cursor() as cursor:
        for seq in seqs:
            cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [seq])


def test_a_deleted_entry_from_before_lanes_is_named_without_a_lane():
    legacy = _legacy_entries(4)
    _delete(legacy[1].seq)

    result = verify_chain()

    assert result.reason == "entry #2 is missing (deleted): the chain jumps from #1 to #3"


def test_several_deleted_entries_of_a_lane_are_named_as_a_range(officer, customer):
    chain = record_reveals(actor=officer, subject=customer, count=5)
    _delete(chain[1].seq, chain[2].seq)

    result = verify_chain()

    assert re.fullmatch(
        r"lane \d+: entries #2 to #3 are missing \(deleted\): the chain jumps from #1 to #4",
        result.reason,
    )


def _rehash(entry: AuditEntry, **changes: object) -> str:
    """Change an entry's columns and give it the hash of its new content under the audit key
    (what only someone holding the key could do); returns the new hash."""
    row = AuditEntry.objects.filter(seq=entry.seq).values(*HASHED_COLUMNS).get()
    row.update(changes)
    digest = entry_hash(row)
    with append_only_suspended():
        AuditEntry.objects.filter(seq=entry.seq).update(hash=digest, **changes)
    return digest


def test_a_deleted_entry_from_before_lanes_is_reported_at_the_missing_entry():
    legacy = _legacy_entries(4)
    _delete(legacy[1].seq)

    result = verify_chain()

    # the chain before lanes is numbered by seq: the entry reported is the one deleted
    assert (result.ok, result.first_broken_seq, result.checked) == (False, legacy[1].seq, 1)


def test_a_first_entry_that_does_not_start_the_chain_is_named_so():
    legacy = _legacy_entries(3)
    _rehash(legacy[0], prev_hash="0" * 63 + "1")

    result = verify_chain()

    assert (result.ok, result.first_broken_seq, result.checked) == (False, legacy[0].seq, 0)
    assert result.reason == (
        "its prev_hash does not match the hash of the start of the chain "
        "(entry #1 or the one before it was altered)"
    )


def test_a_lane_entry_that_does_not_link_names_the_lane_and_both_entries(officer, customer):
    chain = record_reveals(actor=officer, subject=customer, count=4)
    _rehash(chain[1], detail={"n": 99})

    result = verify_chain()

    assert (result.ok, result.first_broken_seq, result.checked) == (False, chain[2].seq, 2)
    assert result.reason == (
        f"lane {chain[0].lane}: its prev_hash does not match the hash of entry #2 "
        "(entry #3 or the one before it was altered)"
    )


def test_an_altered_entry_is_named_with_its_lane_or_without_one(officer, customer):
    legacy = _legacy_entries(2)
    with append_only_suspended():
        AuditEntry.objects.filter(seq=legacy[1].seq).update(action="test.other")
    assert verify_chain().reason == (
        "its hash does not match its content under the audit key "
        "(the entry was altered or re-hashed after it was written)"
    )
    _rehash(legacy[1])  # put right, then alter an entry of a lane
    chain = record_reveals(actor=officer, subject=customer, count=2)
    with append_only_suspended():
        AuditEntry.objects.filter(seq=chain[1].seq).update(action="test.other")

    result = verify_chain()

    assert (result.first_broken_seq, result.checked) == (chain[1].seq, 3)
    assert result.reason == (
        f"lane {chain[0].lane}: its hash does not match its content under the audit key "
        "(the entry was altered or re-hashed after it was written)"
    )


def test_the_last_entry_rewritten_with_the_key_is_caught_by_the_checkpoint(officer, customer):
    # given a checkpointed lane whose last entry is then rewritten with a valid keyed hash
    # (nothing after it links to it, so only the checkpoint can tell)
    chain = record_reveals(actor=officer, subject=customer, count=3)
    written = write_checkpoint()
    _rehash(chain[2], detail={"n": 99})

    result = verify_chain()

    assert (result.ok, result.first_broken_seq, result.checked) == (False, chain[2].seq, 2)
    assert result.checkpoints == 1
    assert result.reason == (
        f"lane {chain[0].lane}: entry #3 (seq {chain[2].seq}) is not the entry checkpoint "
        f"{written.name} recorded there (seq {chain[2].seq}, hash {chain[2].hash[:16]}…)"
    )


def test_a_lane_cut_below_two_checkpoints_is_named_by_the_newest(officer, customer):
    # given a lane checkpointed at entry #2 and again at entry #4
    chain = record_reveals(actor=officer, subject=customer, count=2)
    write_checkpoint()
    chain += record_reveals(actor=officer, subject=customer, count=2)
    newest = write_checkpoint()
    # when everything after its first entry is deleted
    _delete(*(entry.seq for entry in chain[1:]))

    result = verify_chain()

    # then the newest checkpoint's place is what is reported missing
    assert (result.ok, result.first_broken_seq, result.checked) == (False, chain[3].seq, 1)
    assert result.reason == (
        f"lane {chain[0].lane}: checkpoint {newest.name} recorded entry #4 (seq "
        f"{chain[3].seq}), but the chain ends at entry #1: entries #2 to #4 were deleted "
        "from its end"
    )


def test_a_whole_lane_deleted_is_named_by_its_checkpoint(officer, customer):
    chain = record_reveals(actor=officer, subject=customer, count=2)
    written = write_checkpoint()
    _delete(*(entry.seq for entry in chain))

    result = verify_chain()

    assert (result.ok, result.first_broken_seq, result.checked) == (False, chain[1].seq, 0)
    assert result.reason == (
        f"lane {chain[0].lane}: checkpoint {written.name} recorded entry #2 (seq "
        f"{chain[1].seq}), but the chain has no entries: entries #1 to #2 were deleted "
        "from its end"
    )


def test_an_unreadable_checkpoint_stops_verification_before_any_entry(officer, customer):
    record_reveals(actor=officer, subject=customer, count=2)
    written = write_checkpoint()
    path = checkpoint_dir() / written.name
    path.write_text(path.read_text().replace('"mac": "', '"mac": "00', 1))

    result = verify_chain()

    assert (result.ok, result.checked, result.first_broken_seq) == (False, 0, None)
    assert result.reason.startswith(f"checkpoint {written.name}:")


def test_a_sound_log_reports_its_newest_entry_each_chain_head_and_the_newest_checkpoint(
    officer, customer
):
    # given entries from before lanes, then a lane, checkpointed twice
    legacy = _legacy_entries(2)
    write_checkpoint()
    chain = record_reveals(actor=officer, subject=customer, count=3)
    write_checkpoint()

    result = verify_chain()

    # then the head is the newest entry of the whole log (the lane's last)
    assert (result.ok, result.checked, result.checkpoints) == (True, 5, 2)
    assert (result.head_seq, result.head_hash) == (chain[-1].seq, chain[-1].hash)
    assert result.heads == {
        "before lanes": (2, legacy[-1].hash),
        f"lane {chain[0].lane}": (3, chain[-1].hash),
    }
    assert result.newest_checkpoint == read_checkpoints()[-1].at


def test_a_log_without_entries_from_before_lanes_has_no_head_for_them(officer, customer):
    chain = record_reveals(actor=officer, subject=customer, count=2)

    result = verify_chain()

    assert result.heads == {f"lane {chain[0].lane}": (2, chain[-1].hash)}
    assert (result.checkpoints, result.newest_checkpoint) == (0, None)


def test_the_head_is_the_newest_entry_whichever_lane_holds_it(officer, customer, monkeypatch):
    # given two lanes, the higher-numbered one written first and the lower one last
    wrapper = connections[DEFAULT_DB_ALIAS]  # the lane is kept on the connection itself
    monkeypatch.setattr(wrapper, "_lookout_audit_lane", 2, raising=False)
    older = record_reveals(actor=officer, subject=customer, count=2)
    monkeypatch.setattr(wrapper, "_lookout_audit_lane", 1)
    newer = record_reveals(actor=officer, subject=customer, count=2)
    assert (older[0].lane, newer[0].lane) == (2, 1)

    result = verify_chain()

    # then the head reported is the newest entry of the log, in lane 1 (walked before lane 2)
    assert (result.ok, result.checked, result.reason) == (True, 4, "")
    assert (result.head_seq, result.head_hash) == (newer[-1].seq, newer[-1].hash)
    assert result.heads == {"lane 1": (2, newer[-1].hash), "lane 2": (2, older[-1].hash)}
