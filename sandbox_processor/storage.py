"""The sandbox processor's own storage: a SQLite file through the standard `sqlite3` module.

It stands in for a third party's database, so it never shares the store's database or ORM.
A session row keeps what a processor keeps after a card payment: a token, brand, last four
digits, expiry month and year, amounts and status — never the card number or the CVC (C2.3).
It keeps nothing it no longer needs (issue 19, finding 9): the cardholder name hint only
while the page is open, the return URL (which holds the guest's access token) only until
the customer was sent back, and a session left open too long is expired and purged by
`purge_abandoned`. `secure_delete` overwrites cleared values in the file, and the purge
truncates the write-ahead log, so old pages do not keep them either.
Every write runs in `BEGIN IMMEDIATE`, which takes SQLite's write lock up front: two refunds at
the same moment are serialised, so refunds never add up past the captured amount.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox_processor.cards import CardFacts, Outcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    reference TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    order_ref TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    return_url TEXT NOT NULL,
    name_hint TEXT,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    token TEXT,
    brand TEXT,
    last4 TEXT,
    exp_month INTEGER,
    exp_year INTEGER,
    authorized_cents INTEGER NOT NULL DEFAULT 0,
    captured_cents INTEGER NOT NULL DEFAULT 0 CHECK (captured_cents <= authorized_cents),
    refunded_cents INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents <= captured_cents),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_status_created ON sessions (status, created_at);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_due ON events (next_attempt_at);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY,
    reference TEXT NOT NULL REFERENCES sessions (reference),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS redactions (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,
    sessions INTEGER NOT NULL,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL,
    completed_at TEXT
);
"""

DECLINE_MESSAGE = "Your card was declined. No money was taken; please try another card."
CANCEL_MESSAGE = "The payment was cancelled on the payment page. No money was taken."
EXPIRED_MESSAGE = "The payment page expired before the card was submitted. No money was taken."
VOID_MESSAGE = "The authorization was released before capture. No money was taken."


class StorageConflict(Exception):
    """The request does not fit the session's state (the message is shown to the API caller)."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class RedactionStore:
    """The processor's register of the store's redaction requests (issue 26): one row per
    request id (a request sent again gets the same answer), with the count of sessions it
    cleared. Mixed into `SessionStore`."""

    def redact(
        self: Any, *, request_id: str, references: list[str], complete: bool
    ) -> dict[str, Any]:
        """Clear what the processor holds about the person on these sessions (the name hint,
        the return address and the card's brand, last four and expiry; amounts and statuses
        stay, as a processor keeps its transaction records), and record the request. Once per
        request id: a repeat returns the first answer and clears nothing more."""
        with self._write() as db:
            found = db.execute(
                "SELECT * FROM redactions WHERE request_id = ?", [request_id]
            ).fetchone()
            if found is not None:
                return dict(found)
            cleared = 0
            for reference in references:
                cleared += db.execute(
                    "UPDATE sessions SET name_hint = NULL, return_url = '', brand = NULL,"
                    " last4 = NULL, exp_month = NULL, exp_year = NULL, updated_at = ?"
                    " WHERE reference = ?",
                    [_now(), reference],
                ).rowcount
            now = _now()
            row = {
                "id": "rd_" + secrets.token_urlsafe(18),
                "request_id": request_id,
                "sessions": cleared,
                "status": "completed" if complete else "received",
                "received_at": now,
                "completed_at": now if complete else None,
            }
            db.execute(
                "INSERT INTO redactions (id, request_id, sessions, status, received_at,"
                " completed_at) VALUES (:id, :request_id, :sessions, :status, :received_at,"
                " :completed_at)",
                row,
            )
        self.checkpoint()
        return row

    def redaction(self: Any, redaction_id: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM redactions WHERE id = ?", [redaction_id]).fetchone()
            return dict(row) if row is not None else None

    def complete_redactions(self: Any) -> int:
        """The processor's privacy desk finishes every request still open (a real one takes
        days; the sandbox does it when told to)."""
        with self._write() as db:
            return db.execute(
                "UPDATE redactions SET status = 'completed', completed_at = ?"
                " WHERE status = 'received'",
                [_now()],
            ).rowcount


# Idle connections kept per store: opening one (and setting its pragma) cost more than the
# statements of a checkout's session. More than this at once are opened and closed as before.
IDLE_CONNECTIONS = 8


class SessionStore(RedactionStore):
    def __init__(self, path: Path | str):
        self.path = Path(path)
        # Whether state changes queue a webhook event (the processor has somewhere to send it).
        self.notify = False
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        self._pid = os.getpid()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Every server process opens the store as it starts. Switching to WAL needs an exclusive
        # lock for which SQLite may answer "database is locked" at once, without waiting out the
        # busy timeout, so the processes take turns through an OS file lock.
        with open(self.path.with_name(self.path.name + ".init-lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with self._connect() as db:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(SCHEMA)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, reused from call to call.

        Calls come from a new thread each (the transport's timeout thread), so a connection
        may serve several threads, one at a time. One that saw an error is closed, not kept."""
        db = self._take()
        try:
            yield db
        except BaseException:
            db.close()
            raise
        self._give(db)

    def _take(self) -> sqlite3.Connection:
        with self._idle_lock:
            if self._pid != os.getpid():  # a forked server worker: the parent's are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        # Cleared values (the name hint) are overwritten on disk, not left in free space.
        db.execute("PRAGMA secure_delete = ON")
        return db

    def _give(self, db: sqlite3.Connection) -> None:
        with self._idle_lock:
            if db.in_transaction or len(self._idle) >= IDLE_CONNECTIONS:
                db.close()
            else:
                self._idle.append(db)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def raw_bytes(self) -> bytes:
        """The file's bytes as stored (log checkpointed first), for "nothing kept" checks."""
        self.checkpoint()
        wal = self.path.with_name(self.path.name + "-wal")
        return self.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    def get(self, reference: str) -> dict[str, Any] | None:
        with self._connect() as db:
            return _one(db, reference)

    def count(self, **where: str) -> int:
        """Sessions matching column=value pairs (for tests: "one session per key")."""
        allowed = {"order_ref", "idempotency_key", "status"}
        if not set(where) <= allowed:
            raise ValueError(f"count() filters only on {sorted(allowed)}")
        clause = " AND ".join(f"{column} = ?" for column in where) or "1 = 1"
        with self._connect() as db:
            # Column names come from the fixed allowlist above, values are parameters.
            query = f"SELECT COUNT(*) FROM sessions WHERE {clause}"  # noqa: S608
            return int(db.execute(query, list(where.values())).fetchone()[0])

    def create(
        self,
        *,
        idempotency_key: str,
        order_ref: str,
        amount_cents: int,
        currency: str,
        return_url: str,
        name_hint: str | None,
    ) -> tuple[dict[str, Any], bool]:
        """The session for this idempotency key: created now (True) or the earlier one (False)."""
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM sessions WHERE idempotency_key = ?", [idempotency_key]
            ).fetchone()
            if row is not None:
                # A decided session's return URL was cleared once the customer went back.
                same = (row["order_ref"], row["amount_cents"]) == (order_ref, amount_cents) and (
                    row["return_url"] in ("", return_url)
                )
                if not same:
                    raise StorageConflict(
                        "This idempotency key was already used for a different payment."
                    )
                return dict(row), False
            reference = "ps_" + secrets.token_urlsafe(18)
            now = _now()
            db.execute(
                "INSERT INTO sessions (reference, idempotency_key, order_ref, amount_cents,"
                " currency, return_url, name_hint, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                [
                    reference,
                    idempotency_key,
                    order_ref,
                    amount_cents,
                    currency,
                    return_url,
                    name_hint,
                    now,
                    now,
                ],
            )
            return _one(db, reference) or {}, True

    def complete(self, reference: str, facts: CardFacts | None) -> dict[str, Any]:
        """Record the card's outcome (None: the customer cancelled). Only an open session.

        The returned row still carries the return URL, for the one redirect that sends the
        customer back; the stored row no longer does (it holds the guest's access token)."""
        with self._write() as db:
            row = _one(db, reference)
            if row is None or row["status"] != "open":
                raise StorageConflict("This payment is no longer open.")
            # The name hint served its purpose (prefilling the form), and the return URL is
            # used for this redirect only: neither is kept.
            if facts is None:
                db.execute(
                    "UPDATE sessions SET status = 'cancelled', message = ?, name_hint = NULL,"
                    " return_url = '', updated_at = ? WHERE reference = ?",
                    [CANCEL_MESSAGE, _now(), reference],
                )
            else:
                authorized = facts.outcome == Outcome.AUTHORIZED
                db.execute(
                    "UPDATE sessions SET status = ?, message = ?, token = ?, brand = ?,"
                    " last4 = ?, exp_month = ?, exp_year = ?, authorized_cents = ?,"
                    " name_hint = NULL, return_url = '', updated_at = ? WHERE reference = ?",
                    [
                        str(facts.outcome),
                        DECLINE_MESSAGE if facts.outcome == Outcome.DECLINED else "",
                        "tok_" + secrets.token_urlsafe(18) if authorized else None,
                        facts.brand,
                        facts.last4,
                        facts.exp_month,
                        facts.exp_year,
                        row["amount_cents"] if authorized else 0,
                        _now(),
                        reference,
                    ],
                )
            done = _one(db, reference) or {}
            if done.get("status") != "timeout":  # the issuer never answered: nothing to tell
                _event(db, self, reference, str(done.get("status")))
            return {**done, "return_url": row["return_url"]}

    def expire(self, reference: str) -> dict[str, Any] | None:
        """Close an open session's page for good (the store stopped holding the order); a
        session already decided is returned as it is, so the caller learns the outcome. One
        write transaction: a card submitted at the same moment either lands first (and the
        session is returned authorized) or finds the page closed."""
        with self._write() as db:
            row = _one(db, reference)
            if row is None or row["status"] != "open":
                return row
            db.execute(
                "UPDATE sessions SET status = 'expired', message = ?, name_hint = NULL,"
                " return_url = '', updated_at = ? WHERE reference = ?",
                [EXPIRED_MESSAGE, _now(), reference],
            )
            _event(db, self, reference, "expired")
            return _one(db, reference)

    def purge_abandoned(self, *, opened_before: datetime) -> list[str]:
        """Expire every session still open that was opened before `opened_before` (its
        customer left the page), clearing its name hint and return URL, then truncate the
        write-ahead log so its old pages do not keep them. The references expired.

        One indexed UPDATE: cheap enough to run from the processor's own requests."""
        with self._write() as db:
            rows = db.execute(
                "UPDATE sessions SET status = 'expired', message = ?, name_hint = NULL,"
                " return_url = '', updated_at = ? WHERE status = 'open' AND created_at < ?"
                " RETURNING reference",
                [EXPIRED_MESSAGE, _now(), opened_before.astimezone(UTC).isoformat()],
            ).fetchall()
            for row in rows:
                _event(db, self, row["reference"], "expired")
        self.checkpoint()
        return [row["reference"] for row in rows]

    def due_events(self, *, limit: int, retry_in: timedelta) -> list[dict[str, Any]]:
        """Up to `limit` events due for delivery, oldest first, claimed for `retry_in` (another
        server process's delivery skips them meanwhile; one not delivered comes due again)."""
        now = datetime.now(UTC)
        with self._write() as db:
            rows = db.execute(
                "SELECT * FROM events WHERE next_attempt_at <= ? ORDER BY created_at LIMIT ?",
                [now.isoformat(), limit],
            ).fetchall()
            claimed_until = (now + retry_in).isoformat()
            for row in rows:
                db.execute(
                    "UPDATE events SET attempts = attempts + 1, next_attempt_at = ?"
                    " WHERE event_id = ?",
                    [claimed_until, row["event_id"]],
                )
            return [dict(row) for row in rows]

    def delivered(self, event_id: str) -> None:
        """The store took the event: the processor keeps no copy."""
        with self._write() as db:
            db.execute("DELETE FROM events WHERE event_id = ?", [event_id])

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and truncate it: cleared values then live
        nowhere but in pages `secure_delete` overwrote. Best effort: a reader holding an old
        snapshot makes SQLite stop short, and the next checkpoint finishes the work."""
        with self._connect() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def capture(self, reference: str) -> dict[str, Any] | None:
        """Capture the whole authorized amount; capturing twice is harmless (idempotent)."""
        with self._write() as db:
            row = _one(db, reference)
            if row is None:
                return None
            if row["status"] in ("captured", "refunded"):
                return row
            if row["status"] != "authorized":
                raise StorageConflict(f"A {row['status']} payment cannot be captured.")
            db.execute(
                "UPDATE sessions SET status = 'captured', captured_cents = authorized_cents,"
                " updated_at = ? WHERE reference = ?",
                [_now(), reference],
            )
            _event(db, self, reference, "captured")
            return _one(db, reference)

    def void(self, reference: str) -> dict[str, Any] | None:
        """Release an authorization that was never captured: the session becomes 'voided' and
        its authorized amount drops to 0, so the card holder's bank lets the hold go. Voiding
        a voided session is harmless (idempotent); any other state is refused, since there is
        nothing held to release (an open page is closed with `expire`, a capture is given back
        with `refund`)."""
        with self._write() as db:
            row = _one(db, reference)
            if row is None or row["status"] == "voided":
                return row
            if row["status"] != "authorized":
                raise StorageConflict(f"A {row['status']} payment cannot be voided.")
            db.execute(
                "UPDATE sessions SET status = 'voided', message = ?, authorized_cents = 0,"
                " name_hint = NULL, return_url = '', updated_at = ? WHERE reference = ?",
                [VOID_MESSAGE, _now(), reference],
            )
            _event(db, self, reference, "voided")
            return _one(db, reference)

    def refund(self, reference: str, amount_cents: int, key: str) -> dict[str, Any] | None:
        """Refund part or all of the captured amount; a repeated key refunds only once."""
        with self._write() as db:
            row = _one(db, reference)
            if row is None:
                return None
            earlier = db.execute(
                "SELECT reference, amount_cents FROM refunds WHERE idempotency_key = ?", [key]
            ).fetchone()
            if earlier is not None:
                if (earlier["reference"], earlier["amount_cents"]) != (reference, amount_cents):
                    raise StorageConflict("This idempotency key was already used for a refund.")
                return row
            if row["status"] not in ("captured", "refunded"):
                raise StorageConflict("Only a captured payment can be refunded.")
            if row["refunded_cents"] + amount_cents > row["captured_cents"]:
                raise StorageConflict("A refund cannot exceed the amount captured.")
            refunded = row["refunded_cents"] + amount_cents
            status = "refunded" if refunded == row["captured_cents"] else "captured"
            db.execute(
                "INSERT INTO refunds (idempotency_key, reference, amount_cents, created_at)"
                " VALUES (?, ?, ?, ?)",
                [key, reference, amount_cents, _now()],
            )
            db.execute(
                "UPDATE sessions SET refunded_cents = ?, status = ?, updated_at = ?"
                " WHERE reference = ?",
                [refunded, status, _now(), reference],
            )
            _event(db, self, reference, "refunded")
            return _one(db, reference)


def _event(db: sqlite3.Connection, store: SessionStore, reference: str, kind: str) -> None:
    """Queue a webhook event in the same transaction as the change it reports (an outbox):
    a change is never made without its event, nor an event sent for a change rolled back.
    Only the reference and what happened: the store asks for the rest (no personal data)."""
    if store.notify:
        now = _now()
        db.execute(
            "INSERT INTO events (event_id, reference, type, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ["evt_" + secrets.token_urlsafe(18), reference, kind, now, now],
        )


def _one(db: sqlite3.Connection, reference: str) -> dict[str, Any] | None:
    row = db.execute("SELECT * FROM sessions WHERE reference = ?", [reference]).fetchone()
    return dict(row) if row is not None else None
