"""The order rule's set-based work (C4.6): find the next batch of expired deliveries, blank them
and their card details, and crypto-shred the keys of guests who need them no more.

Why it is written this way (docs/decisions/0021-retention-throughput.md):

- Batches follow the table's physical order. On SQLite that is the `rowid`: a batch of 5,000
  consecutive rows dirties a few hundred pages. Batches in primary-key order (random UUIDs)
  spread each batch over nearly every page of the table, so every batch rewrote the whole
  table and the run cost ten times the writes. PostgreSQL has no stable physical key, so there
  the batches follow the primary key as before.
- One pass finds the batch: the query that picks the due rows also returns each row's order,
  subject and whether a guest bought it. The updates then go straight to those rows by key,
  instead of re-evaluating the "due" join in every statement.
- The batch is picked and applied in one transaction (`run_rule`), and the statuses that make
  an order due are final (no transition leaves them), so a picked row cannot stop being due
  before it is blanked.
- Key lists go to the database as one parameter: a JSON array on SQLite (`json_each`), an
  comma-separated text unnested on PostgreSQL (`unnest(string_to_array(...))`). Thousands of
  separate parameters cost more than the updates.
- On SQLite the statements are plain SQL. The engine runs inside the worker, so everything the
  ORM adds per statement and per row (compiling, a converter and a Cast per column) is worker
  time; PostgreSQL keeps the ORM statements (its engine's time is not the worker's).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Count, ExpressionWrapper, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Length

from lookout.orders.models import Delivery, Status
from lookout.payments.models import Payment
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

# final: nothing leaves them
FINISHED = (Status.DELIVERED, Status.CANCELLED, Status.PAYMENT_FAILED, Status.EXPIRED)
EMPTY = models.Value(b"", output_field=models.BinaryField())  # a blanked non-null sealed field
BEFORE_EVERY_ROWID = -(2**63)  # the SQLite cursor of a run that starts from the beginning
# SQLite settings of the run's connections while its batches run (`in_memory_for_the_run`):
# a page cache of 32 MiB (the default is 2,000 KiB) and statement journals in memory. Memory
# only; none of them is about durability.
RUN_PRAGMAS = {"cache_size": -32 * 1024, "temp_store": 2}  # 2 = MEMORY


class DueBatch(list[Any]):
    """The keys of one batch in batch order (`str()` of the last is the run's cursor, what
    `run_rule` records after the batch), with each row beside them in `rows`: (key, order id,
    subject, bought by a guest).

    Why a list of keys plus plain tuples, not an object per row: tuples of strings and numbers
    are untracked by Python's garbage collector after its first look at them, while an object
    per row stays tracked, and thousands of them per batch set off full collections of the
    worker's whole heap (6% of the run on SQLite)."""

    def __init__(self, rows: list[tuple[Any, Any, Any, Any]]):
        super().__init__(row[0] for row in rows)
        self.rows = rows


def next_due(cutoff: datetime, cursor: str, limit: int) -> DueBatch:
    """The next `limit` deliveries after `cursor` whose order finished before `cutoff` and whose
    sealed details are not blanked yet, in batch order."""
    if connection.vendor == "sqlite":
        return _next_due_sqlite(cutoff, cursor, limit)
    return _next_due_orm(cutoff, cursor, limit)


def anonymize(batch: list[Any], now: datetime) -> int:
    """Blank every sealed delivery field, the email's blind index and the card details of the
    batch (what `next_due` found); destroy the data key of guest buyers (a guest's key serves
    their orders only) once none of their deliveries is still sealed. One statement per table
    for the whole batch."""
    if not isinstance(batch, DueBatch):
        raise TypeError("anonymize takes the batch next_due returned.")
    rows = batch.rows
    if not rows:
        return 0
    guests = list({subject for _, _, subject, guest in rows if guest})
    # The key store commits first: should the worker die before the main database commits, the
    # rows stay due and the next run blanks them; the reverse would leave an unused key behind.
    with transaction.atomic(using=KEYSTORE), transaction.atomic():
        if connection.vendor == "sqlite":
            changed, keep = _blank_sqlite(rows, guests)
        else:
            changed, keep = _blank_orm(rows, guests)
        _shred([s for s in guests if s not in keep])
    return changed


@contextmanager
def in_memory_for_the_run() -> Iterator[None]:
    """SQLite: while the rule's batches run, its connections keep more pages in memory and
    their statement journals in memory only; afterwards they are as they were.

    Why (each was a sixth or more of the run's worker time, measured with strace and py-spy):

    - Page cache. Every batch looks rows up in indexes ordered by random UUIDs (the order's
      primary key, the payment's order reference, the delivery's subject and email index, the
      key store's subjects), so each batch needs nearly every page of those indexes. With the
      default 2 MB cache they were read from the file again for every batch.
    - Statement journals. Each UPDATE of many rows inside the batch's transaction (and the
      savepoint around them) keeps the original of every page it changes, so that it can be
      undone alone. Past 64 KiB SQLite moves that journal to a temporary file: every changed
      page was written once more, to /var/tmp, sealed personal data included. In memory it is
      a copy in the worker's memory, gone when the batch ends.

    The journal mode, `synchronous` and `secure_delete` stay as they are: a crash loses or
    keeps exactly what it did before (statement journals never serve crash recovery). Other
    rules and requests never see these settings: they hold for this run's batches only."""
    aliases = [a for a in (DEFAULT_DB_ALIAS, KEYSTORE) if connections[a].vendor == "sqlite"]
    before = {alias: _pragmas(alias, RUN_PRAGMAS) for alias in aliases}
    try:
        yield
    finally:
        for alias, values in before.items():
            _pragmas(alias, values)


def _pragmas(alias: str, values: dict[str, int]) -> dict[str, int]:
    """Set these settings of a SQLite connection; returns the values they had.

    `temp_store` is left alone inside a transaction (SQLite refuses to change it there once the
    connection has used temporary storage): a run started inside a caller's transaction gets
    the same results, only slower. The worker starts runs outside any."""
    before = {}
    with connections[alias].cursor() as sql:
        for name, value in values.items():
            if name == "temp_store" and connections[alias].in_atomic_block:
                continue
            sql.execute(f"PRAGMA {name}")
            (before[name],) = sql.fetchone()
            sql.execute(f"PRAGMA {name} = {int(value)}")
    return before


def _shred(subjects: list[Any]) -> int:
    """Crypto-shred these guests: delete their data keys in the key store, with one DELETE and
    one parameter. (What `vault.crypto.destroy_data_keys` does, without building a thousand
    query parameters per 1,000 keys; that alone was a fifth of the run's time.)"""
    if not subjects:
        return 0
    listed = _listed(subjects, DataKey._meta.get_field("subject"), using=KEYSTORE)
    return DataKey.objects.using(KEYSTORE).filter(subject__in=listed).delete()[0]


def _listed(
    values: Iterable[Any], field: models.Field[Any, Any], *, using: str = DEFAULT_DB_ALIAS
) -> RawSQL:
    """A whole list as one parameter, for `__in`: a JSON array on SQLite, an array on
    PostgreSQL. The values come from the database (keys, ids), never from a request."""
    values = list(values)
    connection = connections[using]
    if connection.vendor == "sqlite":
        # As SQLite stores them (a UUID as 32 hex digits). Values read from a PostgreSQL main
        # database (UUIDs) must match a key store kept in SQLite; hex text passes as it is.
        stored = [
            v if isinstance(v, str) and len(v) == 32 else field.get_db_prep_value(v, connection)
            for v in values
        ]
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(stored),), output_field=field)
    # One text parameter split by the server: a Python list of UUIDs is adapted one element at
    # a time, which cost more worker time than everything else the batch does.
    return RawSQL(
        "SELECT unnest(string_to_array(%s, ','))::uuid",
        (",".join(map(str, values)),),
        output_field=field,
    )


# --- SQLite: plain SQL, keyed by rowid -------------------------------------------------------
# Table and column names are fixed here; every value is a bound parameter. UUID columns are
# stored as 32 hex digits and handed over as such (no UUID objects per row).

_SQLITE_NEXT_DUE = (
    'SELECT d."rowid", d."order_id", d."subject", o."user_id" IS NULL '
    'FROM "orders_delivery" d INNER JOIN "orders_order" o ON o."id" = d."order_id" '
    'WHERE d."rowid" > %s AND LENGTH(d."address") > 0 AND o."status" IN (%s, %s, %s, %s) '
    'AND COALESCE(o."delivered_at", o."closed_at") < %s '
    'ORDER BY d."rowid" LIMIT %s'
)
# The payments by rowid, found through the order reference: SQLite then walks the table in
# physical order (payments are written right after their order), where `order_ref IN (...)`
# visited the rows in the order of the sorted references, all over the table.
_SQLITE_BLANK_PAYMENTS = (
    'UPDATE "payments_payment" SET "brand" = \'\', "last4" = \'\', "exp_month" = NULL, '
    '"exp_year" = NULL WHERE "rowid" IN (SELECT p."rowid" FROM json_each(%s) j '
    'INNER JOIN "payments_payment" p ON p."order_ref" = j.value)'
)
_SQLITE_BLANK_DELIVERIES = (
    'UPDATE "orders_delivery" SET "name" = X\'\', "address" = X\'\', "phone" = NULL, '
    '"email" = NULL, "email_index" = \'\' WHERE "rowid" IN (SELECT value FROM json_each(%s))'
)
# Most guests have one order: a look at the subject index (no table rows) rules them out, and
# only subjects with several deliveries are checked for one still sealed.
_SQLITE_SHARED_SUBJECTS = (
    'SELECT "subject" FROM "orders_delivery" WHERE "subject" IN (SELECT value FROM json_each(%s)) '
    'GROUP BY "subject" HAVING COUNT(*) > 1'
)
_SQLITE_STILL_SEALED = (
    'SELECT DISTINCT "subject" FROM "orders_delivery" '
    'WHERE "subject" IN (SELECT value FROM json_each(%s)) AND LENGTH("address") > 0'
)


def _next_due_sqlite(cutoff: datetime, cursor: str, limit: int) -> DueBatch:
    with connection.cursor() as sql:
        sql.execute(
            _SQLITE_NEXT_DUE,
            [
                int(cursor) if cursor else BEFORE_EVERY_ROWID,
                *map(str, FINISHED),
                connection.ops.adapt_datetimefield_value(cutoff),
                limit,
            ],
        )
        return DueBatch(sql.fetchall())


def _blank_sqlite(rows: list[tuple[Any, ...]], guests: list[Any]) -> tuple[int, set[Any]]:
    """Blank the batch; returns how many deliveries were blanked and which of the guests still
    have a sealed delivery (outside the batch) after it."""
    with connection.cursor() as sql:
        sql.execute(_SQLITE_BLANK_PAYMENTS, [json.dumps([r[1] for r in rows])])
        sql.execute(_SQLITE_BLANK_DELIVERIES, [json.dumps([r[0] for r in rows])])
        changed = int(sql.rowcount)
        if not guests:
            return changed, set()
        sql.execute(_SQLITE_SHARED_SUBJECTS, [json.dumps(guests)])
        shared = [subject for (subject,) in sql.fetchall()]
        if not shared:
            return changed, set()
        sql.execute(_SQLITE_STILL_SEALED, [json.dumps(shared)])
        return changed, {subject for (subject,) in sql.fetchall()}


# --- PostgreSQL (any server database): ORM statements, keyed by primary key ------------------


def _as_text(name: str) -> Cast:
    """A UUID column as the database stores it: no per-row UUID objects built in Python."""
    return Cast(name, output_field=models.CharField())


def _next_due_orm(cutoff: datetime, cursor: str, limit: int) -> DueBatch:
    rows = Delivery.objects.alias(
        ended=Coalesce("order__delivered_at", "order__closed_at"),
        sealed=Length("address"),
    ).filter(sealed__gt=0, order__status__in=FINISHED, ended__lt=cutoff)
    if cursor:
        rows = rows.filter(pk__gt=uuid.UUID(cursor))
    picked = rows.order_by("pk").values_list(
        _as_text("pk"),
        _as_text("order_id"),
        _as_text("subject"),
        ExpressionWrapper(Q(order__user__isnull=True), output_field=models.BooleanField()),
    )[:limit]
    return DueBatch(list(picked))


def _blank_orm(rows: list[tuple[Any, ...]], guests: list[Any]) -> tuple[int, set[Any]]:
    """`_blank_sqlite` with the ORM."""
    order_ref = Payment._meta.get_field("order_ref")
    Payment.objects.filter(order_ref__in=_listed((r[1] for r in rows), order_ref)).update(
        brand="", last4="", exp_month=None, exp_year=None
    )
    changed = Delivery.objects.filter(
        pk__in=_listed((r[0] for r in rows), Delivery._meta.get_field("id"))
    ).update(name=EMPTY, address=EMPTY, phone=None, email=None, email_index="")
    return changed, _still_sealed_orm(guests)


def _still_sealed_orm(subjects: Sequence[Any]) -> set[Any]:
    """Of these subjects, those with a delivery whose details are still sealed (under their key).
    Only subjects with several deliveries (found from the subject index) are checked."""
    if not subjects:
        return set()
    field = Delivery._meta.get_field("subject")
    shared = list(
        Delivery.objects.filter(subject__in=_listed(subjects, field))
        .values("subject")
        .annotate(n=Count("*"))
        .filter(n__gt=1)
        .values_list("subject", flat=True)
    )
    if not shared:
        return set()
    sealed = (
        Delivery.objects.alias(sealed=Length("address"))
        .filter(subject__in=_listed((str(s) for s in shared), field), sealed__gt=0)
        .values_list("subject", flat=True)
        .distinct()
    )
    return {str(s) for s in sealed}
