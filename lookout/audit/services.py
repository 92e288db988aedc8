"""Writing to the audit log (commitment C4.4): `record()` is the only way in.

Callers write their entry inside their own transaction, so the entry and the change it describes
commit or roll back together. Entries are chained in lanes: each lane is a hash chain whose
entries are numbered 1, 2, 3, ... (`lane_seq`) and name the previous entry's hash, so two
writers must never read the same "last entry" of a lane. On SQLite the write transaction already
holds the database write lock (the settings open every transaction with BEGIN IMMEDIATE); on
PostgreSQL a transaction-scoped advisory lock on the lane is taken before its last entry is
read, and released at commit.

Why lanes: the lock is held until commit, fsync included, so with one chain every audited
transaction of the whole shop waited for the previous one's commit (about a hundred a second on
the development machine, a third of that in orders). Each database connection keeps one lane
for its life (so a transaction never holds two lane locks and cannot deadlock on them);
connections in different lanes commit side by side. Verification checks every lane.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from lookout.audit.chain import HASHED_COLUMNS, entry_hash
from lookout.audit.keys import chain_key
from lookout.audit.models import ANONYMOUS, GENESIS_HASH, SYSTEM, AuditEntry, Outcome
from lookout.core.logging import mask_text
from lookout.core.rows import insert_many

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lookout.accounts.models import User

# Any constant works as long as nothing else in the database uses it: "audit" in ASCII. Lane n
# is locked under CHAIN_LOCK_KEY + n.
CHAIN_LOCK_KEY = 0x6175646974
DEFAULT_LANES = 16

# Lanes are dealt to new connections in turn from a random start, so the threads of one process
# get different lanes and two processes rarely start on the same one.
_next_lane = itertools.count(secrets.randbelow(1 << 16))


def lane_count() -> int:
    return max(1, int(getattr(settings, "LOOKOUT_AUDIT_LANES", DEFAULT_LANES)))


def _lane_of(connection: Any) -> int:
    lane = getattr(connection, "_lookout_audit_lane", None)
    if lane is None or lane > lane_count():
        lane = next(_next_lane) % lane_count() + 1
        connection._lookout_audit_lane = lane
    return lane


# One statement each: `n` new `seq` numbers and the lane's last place and hash (none if empty).
# PostgreSQL numbers `seq` from its sequence (in increasing order: the numbers are drawn row by
# row); on SQLite the write lock is held, so the numbers after the largest seq are this writer's.
_HEAD = (
    "SELECT {seqs}, head.lane_seq, head.hash FROM (SELECT 1) AS one LEFT JOIN "
    "(SELECT lane_seq, hash FROM audit_auditentry WHERE lane = %s "
    "ORDER BY lane_seq DESC LIMIT 1) AS head ON 1 = 1"
)
HEAD_SQL = {
    "postgresql": _HEAD.format(
        seqs="ARRAY(SELECT nextval(pg_get_serial_sequence('audit_auditentry', 'seq')) "
        "FROM generate_series(1, %s))"
    ),
    # The first of the new numbers (the rest follow it).
    "sqlite": _HEAD.format(seqs="(SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_auditentry)"),
}
# The first entries of a transaction on PostgreSQL: the lane lock, then the head, in one round
# trip. Two statements in a function (migration 0005): in READ COMMITTED each statement of a
# VOLATILE function takes its own snapshot, so the head is read after the lock is granted.
LOCK_THEN_HEAD_SQL = "SELECT seqs, last_place, last_hash FROM lookout_audit_lane_head(%s, %s, %s)"


class _LaneLock:
    """Marks, among the transaction's on-commit callbacks, that its lane lock is taken.

    PostgreSQL holds an advisory transaction lock until the transaction ends, but releases one
    taken inside a savepoint that is rolled back. Django drops on-commit callbacks at exactly
    those two moments (commit or rollback of the transaction, rollback of the savepoint they
    were registered in), so while the marker is among them the lock is still held, and a later
    entry or batch in the same transaction reads the head without taking the lock again."""

    def __init__(self, lane: int) -> None:
        self.lane = lane

    def __call__(self) -> None:  # run at commit: nothing to do
        return None


def _holds_lane_lock(connection: Any, lane: int) -> bool:
    marker = getattr(connection, "_lookout_lane_lock", None)
    if marker is None or marker.lane != lane:
        return False
    return any(callback is marker for _, callback, _ in connection.run_on_commit)


def _remember_lane_lock(connection: Any, lane: int) -> None:
    marker = _LaneLock(lane)
    connection._lookout_lane_lock = marker
    connection.on_commit(marker)


DetailValue = str | int | bool | None

_ACTION = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,99}")
_PURPOSE = re.compile(r"[a-z0-9_]{0,32}")
# A record id in `targets`: a canonical UUID (every model with personal fields has a random
# UUID primary key). Nothing else fits, so no text that could be personal data gets in.
_RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class AuditDataError(ValueError):
    """A programming error: the entry would be malformed or would carry personal data."""


def record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    subject: uuid.UUID | None = None,
    fields: Sequence[str] = (),
    purpose: str = "",
    outcome: str = Outcome.OK,
    target: str | models.Model = "",
    targets: Sequence[uuid.UUID | str] | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction if there is one.

    `actor` is the person acting (None for the system itself), `subject` the pseudonymous id of
    the person whose data is concerned, `fields` the names (never the values) of the fields
    read or written, e.g. "accounts.User.email". `target` is a string or a model instance, which
    is written as "app.Model:<pk>". `targets` lists the ids of every record a bulk read named
    (UUIDs only: they are checked for that shape, not scanned as text, so a thousand ids cost
    next to nothing). `detail` holds small non-personal values only.

    Inside `batch()` the entry is checked now and written with the others as the batch ends.
    """
    values = _clean(
        actor=actor,
        action=action,
        subject=subject,
        fields=fields,
        purpose=purpose,
        outcome=outcome,
        target=target,
        targets=targets,
        detail=detail,
    )
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    open_batch = getattr(connection, "_lookout_audit_batch", None)
    if open_batch is not None and connection.in_atomic_block:
        return open_batch.add(connection, values)
    # No savepoint: if this fails the caller's change must not commit without its entry.
    with transaction.atomic(using=using, savepoint=False):
        entry = AuditEntry(**values)
        _write(connection, using, [entry])
        return entry


class _Pending:
    """An entry recorded inside `batch()`, waiting among the transaction's on-commit callbacks:
    Django drops the callbacks registered in a savepoint that rolls back, so an entry whose
    change was undone that way is dropped with it, and is never written."""

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry  # seq, lane, place and hash are set when it is written

    def __call__(self) -> None:  # run at commit: the entry is already written
        return None


class _Batch:
    def __init__(self) -> None:
        self.pending: list[_Pending] = []

    def add(self, connection: Any, values: dict[str, Any]) -> AuditEntry:
        pending = _Pending(AuditEntry(**values))
        connection.on_commit(pending)
        self.pending.append(pending)
        return pending.entry

    def kept(self, connection: Any) -> list[_Pending]:
        alive = {id(callback) for _, callback, _ in connection.run_on_commit}
        return [p for p in self.pending if id(p) in alive]


@contextlib.contextmanager
def batch(using: str | None = None, *, savepoint: bool = True) -> Iterator[None]:
    """`transaction.atomic()` whose audit entries are written together as the block ends: one
    lane lock and head read and one INSERT for all of them, instead of a round trip or two per
    entry.

    Why: checkout writes four entries per order and an access file one per person per read;
    each entry written on its own cost one or two round trips (decision 0023).
    The entries still commit or roll back with the change they describe: they are written in
    the same transaction, just before the block ends, and only if it ends without an error. An
    entry recorded in a savepoint that rolled back is dropped with that savepoint, and nothing
    is written when a failure caught inside has doomed the transaction. Inside a batch,
    `record()` returns the entry unwritten; it is complete once the block has ended. A batch
    inside a batch joins it (as a savepoint, like a nested `atomic`)."""
    using = using or router.db_for_write(AuditEntry)
    connection: Any = connections[using]
    with transaction.atomic(using=using, savepoint=savepoint):
        if getattr(connection, "_lookout_audit_batch", None) is not None:
            yield
            return
        pending = _Batch()
        connection._lookout_audit_batch = pending
        try:
            yield
        finally:
            connection._lookout_audit_batch = None
        if not connection.needs_rollback:
            _write(connection, using, [p.entry for p in pending.kept(connection)])


def _write(connection: Any, using: str, entries: list[AuditEntry]) -> None:
    """Number, chain and INSERT entries (checked, not yet written) in this connection's lane,
    in order, in the current transaction: the lane's lock and head, then one INSERT."""
    if not entries:
        return
    lane = _lane_of(connection)
    key = chain_key()  # before the lock: a change of the key file is read outside it
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not _holds_lane_lock(connection, lane):
            # The lock before the head: the read must see the last commit in the lane.
            cursor.execute(LOCK_THEN_HEAD_SQL, [CHAIN_LOCK_KEY + lane, lane, len(entries)])
            _remember_lane_lock(connection, lane)
        elif connection.vendor == "postgresql":
            cursor.execute(HEAD_SQL["postgresql"], [len(entries), lane])
        else:
            cursor.execute(HEAD_SQL["sqlite"], [lane])
        seqs, last_place, last_hash = cursor.fetchone()
    if not isinstance(seqs, list):  # SQLite: the first of consecutive numbers
        seqs = list(range(seqs, seqs + len(entries)))
    place, prev_hash, at = last_place or 0, last_hash or GENESIS_HASH, timezone.now()
    for entry, seq in zip(entries, sorted(seqs), strict=True):
        place += 1
        entry.seq, entry.lane, entry.lane_seq = seq, lane, place
        entry.prev_hash, entry.at = prev_hash, at
        entry.hash = prev_hash = entry_hash({n: getattr(entry, n) for n in HASHED_COLUMNS}, key)
    # Built once per database, not compiled by the ORM per entry (lookout.core.rows).
    insert_many(entries, using=using)


def _clean(
    *,
    actor: Any,
    action: str,
    subject: uuid.UUID | None,
    fields: Sequence[str],
    purpose: str,
    outcome: str,
    target: str | models.Model,
    targets: Sequence[uuid.UUID | str] | None,
    detail: Mapping[str, DetailValue] | None,
) -> dict[str, Any]:
    """Check and normalise the values before taking the chain lock, to keep it short."""
    if actor is None:
        actor_ref, actor_role = SYSTEM, SYSTEM
    elif not getattr(actor, "is_authenticated", False):
        actor_ref, actor_role = ANONYMOUS, ""
    else:
        actor_ref, actor_role = str(actor.subject), str(actor.role or "")
    if not isinstance(action, str) or not _ACTION.fullmatch(action):
        raise AuditDataError(f"Audit action {action!r} must be a short lower-case name.")
    if isinstance(fields, str):
        raise AuditDataError("Audit `fields` is a list of field names, not one string.")
    field_names = [str(name) for name in fields]
    for name in field_names:
        if not _NAME.fullmatch(name):
            raise AuditDataError(f"Audit field name {name!r} is not a field name.")
    purpose = str(purpose)
    if not _PURPOSE.fullmatch(purpose):
        raise AuditDataError(f"Audit purpose {purpose!r} is not a purpose name.")
    if outcome not in Outcome.values:
        raise AuditDataError(f"Audit outcome must be one of {', '.join(Outcome.values)}.")
    if isinstance(target, models.Model):
        target = f"{target._meta.label}:{target.pk}"
    _check_text("target", target, max_length=200)
    return {
        "actor_ref": actor_ref,
        "actor_role": actor_role,
        "action": action,
        "subject_ref": str(uuid.UUID(str(subject))) if subject is not None else "",
        "fields": field_names,
        "purpose": purpose,
        "outcome": str(outcome),
        "target": target,
        "targets": _clean_targets(targets),
        "detail": _clean_detail(detail or {}),
    }


def _clean_targets(targets: Sequence[uuid.UUID | str] | None) -> list[str] | None:
    """Record ids as canonical UUID strings; anything else is refused. None stays None."""
    if targets is None:
        return None
    if isinstance(targets, (str, bytes)):
        raise AuditDataError("Audit `targets` is a list of record ids, not one string.")
    cleaned = [str(t) if isinstance(t, uuid.UUID) else t for t in targets]
    match = _RECORD_ID.fullmatch
    for value in cleaned:
        if not isinstance(value, str) or not match(value):
            raise AuditDataError(
                f"Audit target {value!r} is not a record id (a UUID in canonical form)."
            )
    return cleaned


def _clean_detail(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    cleaned: dict[str, DetailValue] = {}
    for key, value in detail.items():
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            raise AuditDataError(f"Audit detail key {key!r} must be a short name.")
        if isinstance(value, str):
            _check_text(f"detail[{key!r}]", value, max_length=500)
        elif value is not None and not isinstance(value, int):
            # Floats are refused: their JSON text may differ between databases.
            raise AuditDataError(f"Audit detail[{key!r}] must be a string, integer, bool or None.")
        cleaned[key] = value
    return cleaned


def _check_text(name: str, value: object, *, max_length: int) -> None:
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise AuditDataError(f"Audit {name} must be text of at most {max_length} characters.")
    if mask_text(value) != value:
        raise AuditDataError(
            f"Audit {name} looks like personal data (an email, card, phone number or IP "
            "address); record the person's pseudonymous subject id instead."
        )
