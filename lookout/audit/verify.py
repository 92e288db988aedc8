"""Checking the audit log for tampering (commitment C4.4).

Walks the chain in `seq` order, a page at a time (constant memory, and no long-lived cursor or
snapshot held open while the shop keeps writing), and stops at the first entry that
- is missing: `seq` jumps (an entry was deleted; `record()` never leaves holes),
- does not link: its `prev_hash` is not the previous entry's `hash` (an entry was changed and
  its hash recomputed, or entries were swapped), or
- does not match itself: its `hash` is not the SHA-256 of its own content (a column was edited).

Limits: a plain hash chain cannot show that the newest entries were cut off the end, nor that
someone with write access rebuilt the whole chain; compare the head hash this reports with one
kept elsewhere to catch that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import router

from lookout.audit.chain import HASHED_COLUMNS, entry_hash
from lookout.audit.models import GENESIS_HASH, AuditEntry

PAGE_SIZE = 2000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str
    head_seq: int | None = None
    head_hash: str | None = None


def verify_chain(
    *, page_size: int = PAGE_SIZE, progress: Callable[[int], None] | None = None
) -> VerifyResult:
    """Verify every entry; `progress(checked)` is called after each page."""
    using = router.db_for_read(AuditEntry)
    columns = (*HASHED_COLUMNS, "hash")
    checked = 0
    last_seq, last_hash = 0, GENESIS_HASH
    while True:
        page = list(
            AuditEntry.objects.using(using)
            .filter(seq__gt=last_seq)
            .order_by("seq")
            .values(*columns)[:page_size]
        )
        for row in page:
            seq = row["seq"]
            if seq != last_seq + 1:
                missing = (
                    f"entry #{last_seq + 1} is missing"
                    if seq == last_seq + 2
                    else f"entries #{last_seq + 1} to #{seq - 1} are missing"
                )
                return _broken(
                    checked,
                    last_seq + 1,
                    f"{missing} (deleted): the chain jumps from #{last_seq} to #{seq}",
                )
            if row["prev_hash"] != last_hash:
                before = f"entry #{last_seq}" if last_seq else "the start of the chain"
                return _broken(
                    checked,
                    seq,
                    f"its prev_hash does not match the hash of {before} "
                    f"(entry #{seq} or the one before it was altered)",
                )
            if entry_hash(row) != row["hash"]:
                return _broken(
                    checked,
                    seq,
                    "its hash does not match its content "
                    "(the entry was altered after it was written)",
                )
            checked += 1
            last_seq, last_hash = seq, row["hash"]
        if progress is not None and page:
            progress(checked)
        if len(page) < page_size:
            break
    return VerifyResult(
        ok=True,
        checked=checked,
        first_broken_seq=None,
        reason="",
        head_seq=last_seq or None,
        head_hash=last_hash if last_seq else None,
    )


def _broken(checked: int, seq: int, reason: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, first_broken_seq=seq, reason=reason)
