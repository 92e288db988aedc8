"""`insert(obj)`: one row in, as `obj.save(force_insert=True)` would write it, without the ORM's
compile step.

Why: checkout inserts about ten rows per order, and on the development machine Django spent
0.5 to 0.8 ms of CPU compiling and running each `create()` against about 0.2 to 0.3 ms for the same
statement built once (decision 0023). The statement for each model and
database is built once; each value still goes through its field's `pre_save(add=True)` and
`get_db_prep_save`, exactly as the ORM's insert compiler calls them, so defaults,
`auto_now_add` and database-specific conversions are the same.

Personal (encrypted) fields are sealed exactly as by the ORM's save: `EncryptedField` seals in
its `pre_save`, which both paths call, and its `get_db_prep_value` refuses anything but a
sealed value, so neither path can write plaintext (decision 0023). Refused: models this helper
does not cover (inheritance, an own `save()`, database defaults, generated fields). Signals are
not sent: no model of this project listens to them (a test keeps it that way for the models
inserted here).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.transaction import TransactionManagementError


class NotForFastInsert(TypeError):
    """A programming error: this model must be saved through the ORM."""


@dataclass(frozen=True)
class _Plan:
    sql: str
    fields: tuple[models.Field, ...]
    returning: models.Field | None  # the auto-increment key read back, if the model has one
    prefix: str  # "INSERT INTO t (columns) VALUES ", for several rows in one statement
    row: str  # one row's placeholders: "(%s, %s, ...)"


_plans: dict[tuple[type[models.Model], str, bool], _Plan] = {}


def insert[M: models.Model](obj: M, *, using: str | None = None) -> M:
    """INSERT `obj` as a new row and return it, saved (its auto key, if any, filled in)."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    # An auto-increment key is left to the database unless the caller set it (the audit log
    # numbers its entries itself).
    numbered = obj.pk is not None
    plan = _plans.get((model, connection.vendor, numbered)) or _plan(model, connection, numbered)
    waiting = _waiting(connection)
    if waiting is not None:
        row: list[models.Model] = [obj]
        waiting.append((plan, row))
    else:
        params = _values(plan, [obj], connection)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            if plan.returning is not None:
                setattr(obj, plan.returning.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = alias
    return obj


def columns(model: type[models.Model], *, table_alias: str = "") -> str:
    """The model's columns, named one by one, for written-out SELECTs (read through `read`).
    Not `*`: a prepared statement (PostgreSQL) whose result columns change,
    because an upgrade added a column while old processes run, fails until its connection
    closes."""
    prefix = f"{table_alias}." if table_alias else ""
    return ", ".join(f"{prefix}{field.column}" for field in model._meta.concrete_fields)


def insert_many[M: models.Model](objs: Sequence[M], *, using: str | None = None) -> None:
    """INSERT `objs` (new rows of one model) in as few statements as the database's parameter
    limit allows: one, for the usual handful.

    Either every object has its key set, or none has and the model's key is auto-increment: the
    database numbers those rows, and the numbers are not read back (the objects keep pk None).

    Why: the audit log writes the entries of a unit of work together (audit.services.batch),
    checkout links an order to each policy in force, and one statement of several rows costs
    about what one row does."""
    if not objs:
        return
    model = type(objs[0])
    numbered = objs[0].pk is not None
    if any(type(obj) is not model or (obj.pk is not None) != numbered for obj in objs):
        raise NotForFastInsert(
            "insert_many() takes rows of one model, either all with their key set or none."
        )
    if not numbered and not isinstance(model._meta.pk, models.AutoField):
        raise NotForFastInsert(f"{model._meta.label}: rows without a key need an auto key.")
    alias = using or router.db_for_write(model, instance=objs[0])
    connection = connections[alias]
    plan = _plans.get((model, connection.vendor, numbered)) or _plan(model, connection, numbered)
    size = max(1, connection.ops.bulk_batch_size(list(plan.fields), list(objs)))
    chunks: list[list[models.Model]] = [
        list(objs[start : start + size]) for start in range(0, len(objs), size)
    ]
    waiting = _waiting(connection)
    if waiting is not None:
        waiting.extend((plan, chunk) for chunk in chunks)
    else:
        with connection.cursor() as cursor:
            for chunk in chunks:
                cursor.execute(_rows_sql(plan, len(chunk)), _values(plan, chunk, connection))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def _values(plan: _Plan, objs: Sequence[models.Model], connection: Any) -> list[Any]:
    """Each row's values as the ORM's insert compiler prepares them (personal fields sealed)."""
    return [
        f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in plan.fields
    ]


def _rows_sql(plan: _Plan, count: int) -> str:
    return plan.prefix + ", ".join([plan.row] * count)


def _plan(model: type[models.Model], connection: Any, numbered: bool) -> _Plan:
    meta = model._meta
    if meta.parents or meta.proxy:
        raise NotForFastInsert(f"{meta.label}: inherited or proxy models are saved by the ORM.")
    if model.save is not models.Model.save or model.save_base is not models.Model.save_base:
        raise NotForFastInsert(f"{meta.label} has its own save(), which this would skip.")
    for field in meta.concrete_fields:
        if getattr(field, "generated", False) or field.db_default is not models.NOT_PROVIDED:
            raise NotForFastInsert(f"{meta.label}.{field.name}: the database computes it.")
    auto = meta.pk if isinstance(meta.pk, models.AutoField) and not numbered else None
    fields = tuple(f for f in meta.concrete_fields if f is not auto)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Names come from the model, values are parameters.
    prefix = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608  # nosec B608
    sql = prefix + row
    if auto is not None:
        sql += f" RETURNING {quote(auto.column)}"
    plan = _Plan(sql=sql, fields=fields, returning=auto, prefix=prefix, row=row)
    _plans[(model, connection.vendor, numbered)] = plan
    return plan


# What waits for the end of a `together` block: rows of one model (prepared then), or a
# statement with its parameters (`write_later`).
_Waiting = tuple[_Plan, list[models.Model]] | tuple[str, list[Any]]


@dataclass
class _Together:
    depth: int  # the savepoints open when the block began
    rows: list[_Waiting] = dataclasses.field(default_factory=list)


def write_later(sql: str, params: list[Any], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run a write (an UPDATE, say) as a `together` block ends, with its rows; at once outside
    one. Only for a write that nothing in the block reads back."""
    connection: Any = connections[using]
    waiting = _waiting(connection)
    if waiting is not None:
        waiting.append((sql, params))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _waiting(connection: Any) -> list[_Waiting] | None:
    """The rows waiting for the end of a `together` block, or None to write now: outside one,
    and inside a savepoint opened within one (a savepoint that rolls back must take its rows
    with it)."""
    block: _Together | None = getattr(connection, "_lookout_together", None)
    if block is None or _savepoints(connection) != block.depth:
        return None
    return block.rows


def _savepoints(connection: Any) -> int:
    """Savepoints open on the connection (a nested `atomic(savepoint=False)` adds none)."""
    return sum(1 for sid in connection.savepoint_ids if sid is not None)


@contextlib.contextmanager
def together(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside a transaction: the rows `insert` and `insert_many` write go in as the block ends,
    all in one statement on PostgreSQL (`WITH a AS (INSERT ...), b AS (INSERT ...) INSERT ...`),
    one after the other on SQLite.

    Why: placing an order writes ten rows into nine tables; each INSERT on its own cost a round
    trip and its share of Django's and psycopg's work per statement (decision 0023).

    What changes for the code inside:
    - Each row is written as its object stands when the block ends, and its values are prepared
      then (personal fields sealed by their `pre_save`, a value that is not text refused), in
      the same transaction, so a refusal still fails the whole change.
    - An auto-increment key is not read back (the object keeps pk None).
    - A query inside the block does not see these rows yet.
    - A constraint that refuses a row fails as the block ends, failing the transaction as it
      would have a moment earlier.
    Rows written inside a savepoint opened within the block go in at once, so a savepoint that
    rolls back takes them with it. Nothing is written if the block ends with an error, or after
    a caught error has doomed the transaction. A block inside a block joins it."""
    connection: Any = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("together() writes inside a transaction only.")
    if getattr(connection, "_lookout_together", None) is not None:
        yield
        return
    block = _Together(depth=_savepoints(connection))
    connection._lookout_together = block
    try:
        yield
    finally:
        connection._lookout_together = None
    if block.rows and not connection.needs_rollback:
        _write_together(connection, block.rows)


def _write_together(connection: Any, waiting: list[_Waiting]) -> None:
    statements = [
        (what, values)
        if isinstance(what, str)
        else (_rows_sql(what, len(values)), _values(what, values, connection))
        for what, values in waiting
    ]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(statements) == 1:
            for sql, params in statements:
                cursor.execute(sql, params)
            return
        *first, (last_sql, last_params) = statements
        head = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(first))
        params = [value for _, values in first for value in values] + last_params
        cursor.execute(f"WITH {head} {last_sql}", params)


@dataclass(frozen=True)
class _ReadPlan:
    attnames: tuple[str, ...]  # in the model's field order, as `Model.from_db` takes them
    order: tuple[int, ...]  # the selected column of each, by position
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (position, converters, column)


_read_plans: dict[tuple[type[models.Model], tuple[str, ...], str], _ReadPlan] = {}


def read[M: models.Model](
    model: type[M],
    sql: str,
    params: Sequence[Any],
    *,
    fields: Sequence[str],
    extra: Sequence[str] = (),
    using: str | None = None,
) -> list[M]:
    """The rows of a written-out SELECT as `model` objects: its first columns are the model's
    `fields` in that order (each converted by the field's and the database's converters, as the
    ORM converts it; fields not read are deferred), then one column per name in `extra`, set as
    an attribute as the database returns it.

    Why not `Model.objects.raw`: it works out the columns, their order and their converters
    again on every query, which on checkout's three hottest reads cost more than the reads
    (decision 0023). This works them out once per model and field list."""
    alias = using or router.db_for_read(model)
    connection = connections[alias]
    key = (model, tuple(fields), connection.vendor)
    plan = _read_plans.get(key) or _read_plan(model, tuple(fields), connection)
    width = len(plan.attnames)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row[:width])
        for position, converters, column in plan.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        obj = model.from_db(alias, plan.attnames, [values[i] for i in plan.order])
        for name, value in zip(extra, row[width:], strict=True):
            setattr(obj, name, value)
        found.append(obj)
    return found


def _read_plan(model: type[models.Model], fields: tuple[str, ...], connection: Any) -> _ReadPlan:
    meta = model._meta
    chosen = [meta.get_field(name) for name in fields]
    converters = []
    for position, field in enumerate(chosen):
        column = field.get_col(meta.db_table)  # type: ignore[union-attr]
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), column))
    rank = {field: n for n, field in enumerate(meta.concrete_fields)}
    order = tuple(sorted(range(len(chosen)), key=lambda i: rank[chosen[i]]))  # type: ignore[index]
    plan = _ReadPlan(
        attnames=tuple(chosen[i].attname for i in order),  # type: ignore[union-attr]
        order=order,
        converters=tuple(converters),
    )
    _read_plans[(model, fields, connection.vendor)] = plan
    return plan
