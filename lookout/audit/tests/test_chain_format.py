"""The hashed form of an entry is a format, and the audit log's proof depends on it (C4.4).

A chain is verified long after it is written: by the next release, on another server, in
another time zone. So the bytes an entry's MAC covers must not depend on where or when it is
checked. These tests build the documented canonical document themselves (decision 0035:
sorted keys, no whitespace, ASCII, the time in UTC with microseconds and a "Z", `lane` and
`lane_seq` left out of entries written before lanes existed) and hold the store to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from lookout.audit.chain import HASHED_COLUMNS
from lookout.audit.keys import chain_key, mac_hex
from lookout.audit.models import GENESIS_HASH, AuditEntry
from lookout.audit.services import record
from lookout.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _documented_mac(row: dict) -> str:
    """The MAC of an entry written before lanes existed, computed from the format's description
    rather than the store's code."""
    document = {name: row[name] for name in HASHED_COLUMNS if name not in ("lane", "lane_seq")}
    if document["targets"] is None:
        del document["targets"]
    document["at"] = row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return mac_hex(chain_key(), text.encode("ascii"))


def test_entries_written_before_lanes_existed_still_verify():
    # given a log from before lanes: entries without a lane, hashed without lane fields
    prev = GENESIS_HASH
    for seq in (1, 2):
        entry = AuditEntry(
            seq=seq,
            at=datetime(2025, 3, seq, 9, 30, 15, 123456, tzinfo=UTC),
            actor_ref="system",
            actor_role="system",
            action="test.before_lanes",
            detail={"n": seq},
            prev_hash=prev,
        )
        row = {name: getattr(entry, name) for name in HASHED_COLUMNS}
        entry.hash = prev = _documented_mac(row)
        entry.save(force_insert=True)
    assert AuditEntry.objects.filter(lane__isnull=True).count() == 2

    # then this release verifies them as they were written
    result = verify_chain()
    assert result.ok, result.reason
    assert result.checked == 2


def test_a_log_written_in_one_time_zone_verifies_in_another():
    # given entries written by a server whose time zone is New York
    with override_settings(TIME_ZONE="America/New_York"):
        for n in range(3):
            record(actor=None, action="test.time_zone", detail={"n": n})
        assert verify_chain().ok

    # then a server in UTC finds the same hashes
    result = verify_chain()
    assert result.ok, result.reason
    assert result.checked == 3

    # and back in New York, entries written in UTC verify too
    record(actor=None, action="test.time_zone", detail={"n": 3})
    with override_settings(TIME_ZONE="America/New_York"):
        result = verify_chain()
    assert result.ok, result.reason
    assert result.checked == 4
