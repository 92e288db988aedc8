"""Checking the audit log for tampering (commitment C4.4).

The log is a set of hash chains: the entries written before lanes existed (numbered by `seq`),
then each lane (numbered by `lane_seq`, see `lookout.audit.services`). Each chain is walked in
order, a page at a time (constant memory, and no long-lived cursor or snapshot held open while
the shop keeps writing), and the walk stops at the first entry that
- is missing: the numbering jumps (an entry was deleted; `record()` never leaves holes),
- does not link: its `prev_hash` is not the previous entry's `hash` (an entry was changed and
  its hash recomputed, or entries were swapped or moved to another lane), or
- does not match itself: its `hash` is not the SHA-256 of its own content (a column was edited).

Limits: a plain hash chain cannot show that the newest entries were cut off the end of a chain,
nor that someone with write access rebuilt a whole chain; compare the heads this reports (one
per chain) with copies kept elsewhere to catch that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import router

from lookout.audit.chain import HASHED_COLUMNS, entry_hash
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


class _Broken(Exception):
    def __init__(self, seq: int, reason: str):
        self.seq, self.reason = seq, reason


def verify_chain(
    *, page_size: int = PAGE_SIZE, progress: Callable[[int], None] | None = None
) -> VerifyResult:
    """Verify every entry of every chain; `progress(checked)` is called after each page."""
    using = router.db_for_read(AuditEntry)
    entries = AuditEntry.objects.using(using)
    lanes = sorted(
        lane
        for lane in entries.filter(lane__isnull=False)
        .values_list("lane", flat=True)
        .distinct()
        .order_by()
        if lane is not None
    )
    counter = [0]
    heads: dict[str, tuple[int, str]] = {}
    newest: tuple[int, str] | None = None
    chains = [(LEGACY, None), *[(f"lane {lane}", lane) for lane in lanes]]
    try:
        for name, lane in chains:
            head, last_entry = _walk(name, lane, using, page_size, counter, progress)
            if head is not None:
                heads[name] = head
            if last_entry is not None and (newest is None or last_entry[0] > newest[0]):
                newest = last_entry
    except _Broken as broken:
        return VerifyResult(
            ok=False, checked=counter[0], first_broken_seq=broken.seq, reason=broken.reason
        )
    return VerifyResult(
        ok=True,
        checked=counter[0],
        first_broken_seq=None,
        reason="",
        head_seq=newest[0] if newest else None,
        head_hash=newest[1] if newest else None,
        heads=heads,
    )


def _walk(
    name: str,
    lane: int | None,
    using: str,
    page_size: int,
    counter: list[int],
    progress: Callable[[int], None] | None,
) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
    """Walk one chain. Returns its head (place, hash) and its entry with the largest seq."""
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
            if entry_hash(row) != row["hash"]:
                raise _Broken(
                    seq,
                    f"{where}its hash does not match its content "
                    "(the entry was altered after it was written)",
                )
            counter[0] += 1
            last_place, last_hash = place, row["hash"]
            if newest is None or seq > newest[0]:
                newest = (seq, row["hash"])
        if progress is not None and page:
            progress(counter[0])
        if len(page) < page_size:
            break
    return ((last_place, last_hash) if last_place else None), newest
