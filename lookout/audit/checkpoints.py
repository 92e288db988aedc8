"""Signed checkpoints of every lane's head, kept outside the database (issue 19, finding 5).

A keyed chain stops anyone without the key from editing or re-chaining a lane, but not from
cutting entries off its end: the lane that is left is still a valid chain. A checkpoint records,
for every chain (each lane, and the chain of entries from before lanes), its last place, that
entry's `seq` and hash, and the time, signed with HMAC-SHA256 under the checkpoint key
(`lookout.audit.keys`). It is written to a directory outside the database
(`LOOKOUT_AUDIT_CHECKPOINT_DIR`, by default `var/audit-checkpoints/`), one new file per
checkpoint, never overwritten. `verify` then requires every checkpointed head to still be in its
chain, at the same place with the same hash: entries deleted from a lane's end, a lane deleted
whole or a lane rebuilt are all caught, back to the last checkpoint (decision 0035).

Checkpoints are written by `lookout audit checkpoint` and by the scheduler (`lookout.audit.tasks`).
The directory should live on other storage than the database (another volume, or shipped to
write-once storage); someone who can delete checkpoint files can hide a truncation.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import router
from django.db.models import Max
from django.utils import timezone

from lookout.audit.keys import checkpoint_key, mac_hex, same
from lookout.audit.models import AuditEntry

VERSION = 1
SUFFIX = ".json"


@dataclass(frozen=True)
class Head:
    lane: int | None  # None: the chain of entries written before lanes existed
    place: int  # lane_seq (seq for the chain before lanes)
    seq: int
    hash: str

    @property
    def chain(self) -> str:
        return "before lanes" if self.lane is None else f"lane {self.lane}"


@dataclass(frozen=True)
class Checkpoint:
    name: str  # the file's name
    at: str
    heads: tuple[Head, ...]


class CheckpointError(Exception):
    """A checkpoint file that is not one we wrote: unreadable, or its signature does not match."""


def checkpoint_dir() -> Path:
    configured = getattr(settings, "LOOKOUT_AUDIT_CHECKPOINT_DIR", None) or os.environ.get(
        "LOOKOUT_AUDIT_CHECKPOINT_DIR"
    )
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-checkpoints"


def current_heads() -> list[Head]:
    """The head of every chain now: one query for the lanes' last places, one for those rows."""
    using = router.db_for_read(AuditEntry)
    entries = AuditEntry.objects.using(using)
    heads: list[Head] = []
    legacy = entries.filter(lane__isnull=True).order_by("-seq").values_list("seq", "hash").first()
    if legacy is not None:
        heads.append(Head(lane=None, place=legacy[0], seq=legacy[0], hash=legacy[1]))
    last = (
        entries.filter(lane__isnull=False)
        .values("lane")
        .annotate(last=Max("lane_seq"))
        .order_by()
        .values_list("lane", "last")
    )
    wanted = {(lane, place) for lane, place in last}
    if wanted:
        rows = entries.filter(
            lane__in={lane for lane, _ in wanted}, lane_seq__in={place for _, place in wanted}
        ).values_list("lane", "lane_seq", "seq", "hash")
        for lane, place, seq, digest in rows:
            if (lane, place) in wanted and place is not None:
                heads.append(Head(lane=lane, place=place, seq=seq, hash=digest))
    return sorted(heads, key=lambda h: -1 if h.lane is None else h.lane)


def _signed_bytes(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def write_checkpoint(*, directory: Path | None = None) -> Checkpoint:
    """Sign every chain's head and write it as a new file; returns what was written.

    The file is created exclusively (an existing name is never overwritten), written, fsynced,
    and its directory fsynced, so a checkpoint that was reported written survives a crash."""
    directory = directory or checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now().astimezone(UTC)
    heads = current_heads()
    document: dict[str, Any] = {
        "version": VERSION,
        "at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "heads": [{"lane": h.lane, "place": h.place, "seq": h.seq, "hash": h.hash} for h in heads],
    }
    document["mac"] = mac_hex(checkpoint_key(), _signed_bytes(document))
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}{SUFFIX}"
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, sort_keys=True, indent=1)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return Checkpoint(name=name, at=document["at"], heads=tuple(heads))


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint file, its signature checked; CheckpointError names what is wrong."""
    try:
        document = json.loads(path.read_text())
        mac = document["mac"]
        if document.get("version") != VERSION or not isinstance(mac, str):
            raise ValueError("unknown version")
        heads = tuple(
            Head(
                lane=None if h["lane"] is None else int(h["lane"]),
                place=int(h["place"]),
                seq=int(h["seq"]),
                hash=str(h["hash"]),
            )
            for h in document["heads"]
        )
        at = str(document["at"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {path.name} cannot be read ({exc})") from exc
    if not same(mac, mac_hex(checkpoint_key(), _signed_bytes(document))):
        raise CheckpointError(
            f"checkpoint {path.name}: its signature does not match its content "
            "(the file was altered, or was not written with this store's master keyset)"
        )
    return Checkpoint(name=path.name, at=at, heads=heads)


def read_checkpoints(directory: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the directory, oldest first; the first bad file raises."""
    directory = directory or checkpoint_dir()
    if not directory.is_dir():
        return []
    paths = sorted(p for p in directory.iterdir() if p.suffix == SUFFIX and p.is_file())
    return [read_checkpoint(path) for path in paths]


def as_of(checkpoint: Checkpoint) -> datetime:
    return datetime.strptime(checkpoint.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
