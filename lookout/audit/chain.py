"""How an entry is hashed: one canonical byte string per entry, the same on every database,
and its HMAC-SHA256 under the audit chain key (`lookout.audit.keys`, decision 0035).

Keyed, so that nobody without the master keyset can compute an entry's hash: with a plain
SHA-256, anyone able to write to the database could edit an entry and recompute the rest of its
lane, and `verify` would find nothing. The canonical document holds `prev_hash`, so the MAC
covers the previous hash and the entry together (HMAC(key, document with prev_hash)).

The hash covers every column except `hash` itself, including `seq` and `prev_hash`, so that
changing, reordering or renumbering an entry changes its hash and breaks the link from the next
one. Timestamps are written in UTC with microseconds (both SQLite and PostgreSQL keep
microseconds); JSON keys are sorted and whitespace removed, because PostgreSQL's jsonb does not
keep the key order it was given.

`lane` and `lane_seq` are hashed likewise: left out only when both are NULL (entries written
before lanes existed), so giving an old entry a lane, or taking a new entry's away, changes the
document and the hash catches it.

`targets` (the record ids of a bulk read) is hashed when it is not NULL, and left out of the
hashed document when it is: entries written before the column existed keep their hash, and
setting, changing or clearing an entry's targets changes the document, so the hash catches it
(see docs/decisions/0020-audit-targets-column.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lookout.audit.keys import Mac, chain_key, mac_hex, unkeyed_hex

HASHED_COLUMNS = (
    "seq",
    "at",
    "actor_ref",
    "actor_role",
    "action",
    "subject_ref",
    "fields",
    "purpose",
    "outcome",
    "target",
    "targets",
    "detail",
    "lane",
    "lane_seq",
    "prev_hash",
)


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed; `values` maps each of HASHED_COLUMNS to its value."""
    document = {name: values[name] for name in HASHED_COLUMNS}
    if document["targets"] is None:
        del document["targets"]  # no list: hashed exactly as before the column existed
    if document["lane"] is None and document["lane_seq"] is None:
        del document["lane"], document["lane_seq"]  # written before lanes: hashed as then
    document["at"] = canonical_at(document["at"])
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def entry_hash(values: Mapping[str, Any], key: Mac | None = None) -> str:
    """The entry's hash: HMAC-SHA256 of its canonical document under the chain key. Callers
    hashing many entries fetch the key once (`chain_key()`) and pass it."""
    return mac_hex(chain_key() if key is None else key, canonical_bytes(values))


def unkeyed_entry_hash(values: Mapping[str, Any]) -> str:
    """The hash before the chain was keyed: plain SHA-256, which anyone can recompute. Kept for
    migration 0006 (which checks the old chain before re-chaining it) and for tests that play
    an intruder recomputing a lane the old way."""
    return unkeyed_hex(canonical_bytes(values))
