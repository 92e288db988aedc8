"""Checking the audit log for tampering (commitment C4.4).

The log is a set of keyed hash chains: the entries written before lanes existed (numbered by
`seq`), then each lane (numbered by `lane_seq`, see `lookout.audit.services`). Each chain is
walked in order, a page at a time (constant memory, and no long-lived cursor or snapshot held
open while the shop keeps writing), and the walk stops at the first entry that
- is missing: the numbering jumps (an entry was deleted; `record()` never leaves holes),
- does not link: its `prev_hash` is not the previous entry's `hash` (an entry was changed and
  its hash recomputed, or entries were swapped or moved to another lane),
- does not match itself: its `hash` is not the HMAC of its own content under the audit key (a
  column was edited, or the entry was re-hashed by someone without the key), or
- contradicts a checkpoint: a signed checkpoint (`lookout.audit.checkpoints`, kept outside the
  database) recorded another hash at this place.
A chain that ends before a checkpointed place, or a checkpointed chain that is gone, was cut
short. What is still not caught: entries cut off the end of a lane after its last checkpoint
(decision 0035, docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import router

from lookout.audit.chain import HASHED_COLUMNS, entry_hash
from lookout.audit.checkpoints import CheckpointError, Head, read_checkpoints
from lookout.audit.keys import Mac, chain_key
from lookout.audit.models import GENESIS_HASH, AuditEntry

PAGE_SIZE = 2000
LEGACY = "before lanes"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str
    head_seq: int | None = None  # the newest entry (largest seq) of the whole log
    head_hash: str | None = None
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # chain: (place, hash)
    checkpoints: int = 0  # checkpoint files checked
    newest_checkpoint: str | None = None  # its time: entries after it are not yet covered


class _Broken(Exception):
    def __init__(self, seq: int, reason: str):
        self.seq, self.reason = seq, reason


def verify_chain(
    *,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Verify every entry of every chain, and every checkpoint against the chains;
    `progress(checked)` is called after each page."""
    using = router.db_for_read(AuditEntry)
    entries = AuditEntry.objects.using(using)
    try:
        found = read_checkpoints()
    except CheckpointError as error:
        return VerifyResult(ok=False, checked=0, first_broken_seq=None, reason=str(error))
    # For each chain (lane number, None before lanes): place -> (head, checkpoint file).
    expected: dict[int | None, dict[int, tuple[Head, str]]] = {}
    for checkpoint in found:
        for head in checkpoint.heads:
            expected.setdefault(head.lane, {})[head.place] = (head, checkpoint.name)
    lanes = sorted(
        {
            lane
            for lane in entries.filter(lane__isnull=False)
            .values_list("lane", flat=True)
            .distinct()
            .order_by()
            if lane is not None
        }
        | {lane for lane in expected if lane is not None}
    )
    counter = [0]
    heads: dict[str, tuple[int, str]] = {}
    newest: tuple[int, str] | None = None
    chains = [(LEGACY, None), *[(f"lane {lane}", lane) for lane in lanes]]
    key = chain_key()
    try:
        for name, lane in chains:
            chain_head, last_entry = _walk(
                name, lane, using, page_size, counter, progress, key, expected.get(lane, {})
            )
            if chain_head is not None:
                heads[name] = chain_head
            if last_entry is not None and (newest is None or last_entry[0] > newest[0]):
                newest = last_entry
    except _Broken as broken:
        return VerifyResult(
            ok=False,
            checked=counter[0],
            first_broken_seq=broken.seq,
            reason=broken.reason,
            checkpoints=len(found),
        )
    return VerifyResult(
        ok=True,
        checked=counter[0],
        first_broken_seq=None,
        reason="",
        head_seq=newest[0] if newest else None,
        head_hash=newest[1] if newest else None,
        heads=heads,
        checkpoints=len(found),
        newest_checkpoint=found[-1].at if found else None,
    )


def _walk(
    name: str,
    lane: int | None,
    using: str,
    page_size: int,
    counter: list[int],
    progress: Callable[[int], None] | None,
    key: Mac,
    expected: dict[int, tuple[Head, str]],
) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
    """Walk one chain, checking it against the heads checkpoints recorded for it. Returns its
    head (place, hash) and its entry with the largest seq."""
    columns = (*HASHED_COLUMNS, "hash")
    place_of = "seq" if lane is None else "lane_seq"
    entries = AuditEntry.objects.using(using)
    chain = entries.filter(lane__isnull=True) if lane is None else entries.filter(lane=lane)
    last_place, last_hash = 0, GENESIS_HASH
    newest: tuple[int, str] | None = None
    where = "" if lane is None else f"{name}: "
    while True:
        page = list(
            chain.filter(**{f"{place_of}__gt": last_place})
            .order_by(place_of)
            .values(*columns)[:page_size]
        )
        for row in page:
            place, seq = row[place_of], row["seq"]
            if place != last_place + 1:
                missing = (
                    f"entry #{last_place + 1} is missing"
                    if place == last_place + 2
                    else f"entries #{last_place + 1} to #{place - 1} are missing"
                )
                raise _Broken(
                    last_place + 1 if lane is None else seq,
                    f"{where}{missing} (deleted): the chain jumps from #{last_place} to #{place}",
                )
            if row["prev_hash"] != last_hash:
                before = f"entry #{last_place}" if last_place else "the start of the chain"
                raise _Broken(
                    seq,
                    f"{where}its prev_hash does not match the hash of {before} "
                    f"(entry #{place} or the one before it was altered)",
                )
            if entry_hash(row, key) != row["hash"]:
                raise _Broken(
                    seq,
                    f"{where}its hash does not match its content under the audit key "
                    "(the entry was altered or re-hashed after it was written)",
                )
            if expected and place in expected:
                head, file = expected[place]
                if head.hash != row["hash"] or head.seq != seq:
                    raise _Broken(
                        seq,
                        f"{where}entry #{place} (seq {seq}) is not the entry checkpoint "
                        f"{file} recorded there (seq {head.seq}, hash {head.hash[:16]}…)",
                    )
            counter[0] += 1
            last_place, last_hash = place, row["hash"]
            if newest is None or seq > newest[0]:
                newest = (seq, row["hash"])
        if progress is not None and page:
            progress(counter[0])
        if len(page) < page_size:
            break
    beyond = [place for place in expected if place > last_place]
    if beyond:
        head, file = expected[max(beyond)]
        ends = f"ends at entry #{last_place}" if last_place else "has no entries"
        raise _Broken(
            head.seq,
            f"{name}: checkpoint {file} recorded entry #{head.place} (seq {head.seq}), but the "
            f"chain {ends}: entries #{last_place + 1} to #{head.place} were deleted from its end",
        )
    return ((last_place, last_hash) if last_place else None), newest
