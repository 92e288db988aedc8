"""`reveal`: the only way plaintext personal data leaves the vault (C3.1, C4.3, C4.4).

It checks the role x field x purpose matrix for every field asked for, writes the audit entry
(granted or refused) in the same transaction, and only then decrypts. A refusal raises
`AccessDenied` after the refusal is on the audit log, and nothing is decrypted.

`reveal_many` is the same gate for many records at once (an access file, a list page): the same
checks, one audit entry per person per call naming every record read, and each person's data
key unwrapped once for the call instead of once per value. `reveal_values` is `reveal_many` for
rows read with `.values()`, where no model instance is needed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from lookout.access import restrictions
from lookout.access.masks import mask
from lookout.access.matrix import SELF, SYSTEM, Level, level_for
from lookout.core.errors import Forbidden
from lookout.core.inventory import declaration
from lookout.core.purposes import Purpose
from lookout.vault.crypto import KeyRing, active_ring, open_sealed
from lookout.vault.fields import EncryptedField

if TYPE_CHECKING:
    from lookout.accounts.models import User
    from lookout.audit.services import DetailValue


class AccessDenied(Forbidden):
    """The reader may not see these fields for this purpose. The refusal is audited."""

    def __init__(self, fields: Sequence[str], purpose: Purpose | str):
        super().__init__("You do not have access to this personal data for this purpose.")
        self.fields = list(fields)
        self.purpose = purpose


class Restricted(AccessDenied):
    """The person restricted the processing of their data (Art. 18, C6.9) and this read is not
    for a legal purpose. The refusal is audited like any other."""

    def __init__(self, fields: Sequence[str], purpose: Purpose | str):
        super().__init__(fields, purpose)
        self.message = restrictions.REFUSAL
        self.args = (restrictions.REFUSAL,)


# C3.8: a purpose outside the fixed list is refused unless a registered check says the person
# consented to exactly that purpose (lookout.marketing registers one); then only the store itself
# (SYSTEM) or the person (SELF) may read, never a staff role.
ConsentCheck = Callable[[Any, str], bool]
_consent_checks: list[ConsentCheck] = []


def register_consent_check(check: ConsentCheck) -> None:
    if check not in _consent_checks:
        _consent_checks.append(check)


def _level(reader: str, key: str, purpose: Purpose | str, subject: Any) -> Level | None:
    if purpose in Purpose.values:
        return level_for(reader, key, Purpose(purpose))
    consented = any(check(subject, str(purpose)) for check in _consent_checks)
    return Level.FULL if consented and reader in (SYSTEM, SELF) else None


def field_key(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


def reader_for(actor: User | None, subject: Any) -> str:
    """Which column of the matrix applies: the person themself, the system, or a staff role."""
    if actor is None:
        return SYSTEM
    if not actor.is_authenticated or not actor.is_active:
        return "anonymous"
    if actor.subject == subject:
        return SELF  # staff reading their own account are the person, not the role
    if actor.role:
        return str(actor.role)
    return "customer"


def _subject_of(obj: models.Model, fields: dict[str, EncryptedField]) -> Any:
    return getattr(obj, _subject_field(fields))


def _encrypted(model: type[models.Model], names: Sequence[str]) -> dict[str, EncryptedField]:
    found: dict[str, EncryptedField] = {}
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, EncryptedField):
            raise ValueError(f"{field_key(model, name)} is not a personal (encrypted) field.")
        found[name] = field
    return found


def reveal(
    obj: models.Model,
    fields: Sequence[str],
    *,
    purpose: Purpose | str,
    actor: User | None,
) -> dict[str, str | None]:
    """Plaintext (or masked) values of `fields` of `obj`, for `purpose`, read by `actor`."""
    from lookout.audit.services import record

    model = obj._meta.concrete_model or type(obj)  # works through lazy proxies (request.user)
    encrypted = _encrypted(model, fields)
    subject = _subject_of(obj, encrypted)
    reader = reader_for(actor, subject)
    keys = {name: field_key(model, name) for name in fields}
    levels = {name: _level(reader, keys[name], purpose, subject) for name in fields}
    refused = [keys[n] for n, level in levels.items() if level is None]
    target = f"{model._meta.label}:{obj.pk}"
    # A signed-out visitor is audited as "anonymous", never as the store itself (None).
    audited_actor = actor
    # Art. 18 (C6.9): a restricted person's data is read only for legal purposes.
    held = (
        not refused
        and restrictions.needs_check(reader, purpose)
        and restrictions.is_restricted(subject)
    )
    if held:
        refused = [keys[n] for n in fields]

    if refused:
        with transaction.atomic():
            record(
                actor=audited_actor,
                action="reveal.refused",
                subject=subject,
                fields=refused,
                purpose=str(purpose),
                outcome="refused",
                target=target,
                detail={"reader": reader, "restricted": True} if held else {"reader": reader},
            )
        raise (Restricted if held else AccessDenied)(refused, purpose)

    masked = sorted(keys[n] for n, level in levels.items() if level == Level.MASKED)
    # No savepoint: if the entry cannot be written, the caller's transaction must not go on as
    # if the read had been recorded (and a savepoint costs two round trips per reveal).
    with transaction.atomic(savepoint=False):
        record(
            actor=audited_actor,
            action="reveal",
            subject=subject,
            fields=[keys[n] for n in fields],
            purpose=str(purpose),
            outcome="granted",
            target=target,
            detail={"reader": reader, "masked": ",".join(masked)},
        )
    # Inside a unit of work (placing an order and disclosing its name), its ring: the buyer's
    # key was unwrapped a moment ago. Otherwise a ring for this call alone.
    return _open(model, obj, encrypted, levels, active_ring() or KeyRing())


def _open(
    model: type[models.Model],
    obj: models.Model,
    encrypted: dict[str, EncryptedField],
    levels: dict[str, Level | None],
    keys: KeyRing,
) -> dict[str, str | None]:
    """Decrypt (and mask where the grant says so); called only after the read is audited."""
    values: dict[str, str | None] = {}
    for name, field in encrypted.items():
        value = getattr(obj, field.attname)
        plaintext: str | None
        if value is None or isinstance(value, str):
            plaintext = value  # not yet sealed (unsaved) or absent
        else:
            plaintext = open_sealed(
                subject=field.subject_of(obj),
                blob=value.blob,
                context=field.context(obj),
                keys=keys,
            )
        if levels[name] == Level.MASKED:
            plaintext = mask(declaration(model, name).category, plaintext)
        values[name] = plaintext
    return values


# --- many records at once ------------------------------------------------------------------


def _bulk_target(model: type[models.Model], pks: Sequence[str]) -> str:
    label = model._meta.label
    return f"{label}:{pks[0]}" if len(pks) == 1 else f"{label}:{len(pks)} records"


# One record for the bulk gate: its primary key, its person, and its sealed values in the
# order of the `encrypted` fields.
_Row = tuple[Any, Any, Sequence[Any]]


@dataclass(frozen=True)
class BulkRead:
    """Records of one model, read from the database but not yet checked, audited or opened.

    Why: a caller that reads several kinds of records (the access file) hands them all to
    `reveal_reads` at once, so the matrix is checked for everything before anything is opened,
    and the audit entries share one transaction (one commit, one lane lock) instead of one
    each. Made by `bulk_read` (model instances) or `bulk_read_values` (`.values()` rows).
    `model` is None only when there are no rows.
    """

    model: type[models.Model] | None
    encrypted: dict[str, EncryptedField]
    rows: list[_Row]


def bulk_read(objs: Sequence[models.Model], fields: Sequence[str]) -> BulkRead:
    """`fields` of `objs` (records of one model) for `reveal_reads`."""
    if not objs:
        return BulkRead(None, {}, [])
    model = objs[0]._meta.concrete_model or type(objs[0])
    if any((o._meta.concrete_model or type(o)) is not model for o in objs):
        raise ValueError("reveal_many() reads records of one model at a time.")
    encrypted = _encrypted(model, fields)
    subject_field = _subject_field(encrypted)
    rows: list[_Row] = [
        (obj.pk, getattr(obj, subject_field), [getattr(obj, f.attname) for f in encrypted.values()])
        for obj in objs
    ]
    return BulkRead(model, encrypted, rows)


def bulk_read_values(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> BulkRead:
    """`fields` of rows read with `.values()`, for `reveal_reads`. Each row must hold the primary
    key (as "pk" or its own name), the person's subject column and every one of `fields` as
    `.values()` returns them (still sealed)."""
    if not rows:
        return BulkRead(None, {}, [])
    model = model._meta.concrete_model or model
    encrypted = _encrypted(model, fields)
    subject_field = _subject_field(encrypted)
    pk_name = model._meta.pk.attname if model._meta.pk is not None else "pk"
    pk_key = "pk" if "pk" in rows[0] else pk_name
    names = [f.attname for f in encrypted.values()]
    return BulkRead(
        model,
        encrypted,
        [(row[pk_key], row[subject_field], [row[n] for n in names]) for row in rows],
    )


def bulk_read_rows(
    model: type[models.Model], rows: Sequence[Sequence[Any]], fields: Sequence[str]
) -> BulkRead:
    """`fields` of rows read with `.values_list(pk, subject, *fields)`, for `reveal_reads`:
    each row is a tuple of the primary key, the person's subject and the still-sealed values of
    `fields`, in that order (further items are ignored); a sealed value is a `Sealed` or, read
    with `lookout.vault.fields.sealed_bytes`, the ciphertext's bytes. Why: no dict per row, for
    the callers that read thousands of rows (the access file)."""
    if not rows:
        return BulkRead(None, {}, [])
    model = model._meta.concrete_model or model
    encrypted = _encrypted(model, fields)
    _subject_field(encrypted)
    end = 2 + len(encrypted)
    if any(len(row) < end for row in rows):
        raise ValueError("Each row holds the primary key, the subject and every field asked for.")
    return BulkRead(model, encrypted, [(row[0], row[1], row[2:end]) for row in rows])


def reveal_many(
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    purpose: Purpose | str,
    actor: User | None,
) -> list[dict[str, str | None]]:
    """`reveal` for many records of one model: the values of `fields` of each of `objs`, in order.

    Why: an access file or a list page reads hundreds of records; one audit entry and one key
    unwrap per value made that cost seconds. The gate is the same: the matrix is checked for
    every person the records belong to, and if any field is refused for any of them the whole
    call is refused, the refusal is audited and nothing is decrypted. When granted, one entry
    per person is written (almost always one per call), naming every record read in its
    `targets` list (their ids) with their number in `detail["count"]`, before anything is
    decrypted.
    """
    return reveal_reads([bulk_read(objs, fields)], purpose=purpose, actor=actor)[0]


def reveal_values(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    *,
    purpose: Purpose | str,
    actor: User | None,
) -> list[dict[str, str | None]]:
    """`reveal_many` for rows read with `.values()` instead of model instances.

    Why: building a thousand model instances costs more than decrypting their values, and a
    section that only copies columns into a document needs no instances. Rows are as
    `bulk_read_values` takes them. The gate is exactly `reveal_many`'s: matrix checked per
    person, the whole call refused and audited if anything is refused, one entry per person
    naming every row before anything is decrypted.
    """
    return reveal_reads([bulk_read_values(model, rows, fields)], purpose=purpose, actor=actor)[0]


def _subject_field(encrypted: dict[str, EncryptedField]) -> str:
    subject_fields = {f.subject_field for f in encrypted.values()}
    if not subject_fields:
        raise ValueError("reveal() needs the names of the fields to read.")
    if len(subject_fields) != 1:
        raise ValueError("reveal() reads fields of one person at a time.")
    return subject_fields.pop()


class _RowRef:
    """Stands in for a model instance where `EncryptedField.context` only needs the row's pk
    (as text, which formats exactly like the UUID), so the associated data is still built by
    the vault itself."""

    __slots__ = ("pk",)

    def __init__(self, pk: Any) -> None:
        self.pk = pk


@dataclass
class _Group:
    """The records of one person within one read, with the grant that applies to them."""

    subject: Any
    reader: str
    levels: dict[str, Level | None]
    records: list[_Row]
    positions: list[int]  # where each record is in the read
    held: bool = False  # refused because the person restricted processing (C6.9)


@dataclass
class _Plan:
    """One read, checked: its rows (ids as text), grouped by person."""

    model: type[models.Model]
    encrypted: dict[str, EncryptedField]
    keys: dict[str, str]  # field name -> "app.Model.field"
    rows: list[_Row]
    groups: list[_Group]


def _plan(read: BulkRead, purpose: Purpose | str, actor: User | None) -> _Plan:
    """Group the read's rows by person and look up each person's grant (nothing is written)."""
    assert read.model is not None
    model, encrypted = read.model, read.encrypted
    keys = {name: field_key(model, name) for name in encrypted}
    # Row ids as text once: the audit entry names them and each value's context ends with one.
    # Ids and subjects read as text (`lookout.core.expressions.UuidText`) cost no UUID object
    # per row; a group's subject is made a UUID once, for the matrix, the audit log and the key.
    rows = [(str(pk), subject, sealed) for pk, subject, sealed in read.rows]
    numbers: dict[Any, int] = {}  # person, as the rows hold it -> group number
    groups: list[_Group] = []
    for position, row in enumerate(rows):
        number = numbers.get(row[1])
        if number is None:
            number = numbers[row[1]] = len(groups)
            subject = uuid.UUID(row[1]) if isinstance(row[1], str) else row[1]
            reader = reader_for(actor, subject)
            levels = {name: _level(reader, keys[name], purpose, subject) for name in encrypted}
            groups.append(_Group(subject, reader, levels, [], []))
        group = groups[number]
        group.records.append(row)
        group.positions.append(position)
    # Art. 18 (C6.9): one look-up for every person this read could be held back for.
    asked = [
        g
        for g in groups
        if None not in g.levels.values() and restrictions.needs_check(g.reader, purpose)
    ]
    if asked:
        held = restrictions.restricted({g.subject for g in asked})
        for g in asked:
            if g.subject in held:
                g.held = True
                g.levels = dict.fromkeys(g.levels)
    return _Plan(model, encrypted, keys, rows, groups)


def _entry(
    plan: _Plan,
    group: _Group,
    *,
    purpose: Purpose | str,
    actor: User | None,
    refused: list[str] | None,
) -> None:
    """The audit entry of one person's records in one read: granted (`refused` None), or the
    refusal naming the refused fields."""
    from lookout.audit.services import record

    pks = [r[0] for r in group.records]
    if refused is None:
        masked = sorted(plan.keys[n] for n, level in group.levels.items() if level == Level.MASKED)
        action, names, outcome = "reveal", list(plan.keys.values()), "granted"
        extra: dict[str, DetailValue] = {"masked": ",".join(masked)}
    else:
        action, names, outcome = "reveal.refused", refused, "refused"
        extra = {"restricted": True} if group.held else {}
    record(
        actor=actor,
        action=action,
        subject=group.subject,
        fields=names,
        purpose=str(purpose),
        outcome=outcome,
        target=_bulk_target(plan.model, pks),
        targets=pks,
        detail={"reader": group.reader, **extra, "count": len(pks)},
    )


def reveal_reads(
    reads: Sequence[BulkRead],
    *,
    purpose: Purpose | str,
    actor: User | None,
) -> list[list[dict[str, str | None]]]:
    """The bulk gate for several reads at once: the values of each read, in order.

    Check, audit, then (only if granted) decrypt, for all of them together: the matrix is
    checked for every person of every read; if anything is refused, every refusal is audited
    and `AccessDenied` raised, and nothing of any read is decrypted. When everything is
    granted, the entries (one per person per read, exactly as `reveal_many` writes them) are
    written together in one transaction (one lane lock, one INSERT, one commit) before anything
    is decrypted. A read with no rows gives [] and writes nothing.
    """
    from lookout.audit.services import batch as audit_batch

    plans = [_plan(read, purpose, actor) if read.rows else None for read in reads]
    refusals = [
        (plan, group, [plan.keys[n] for n, level in group.levels.items() if level is None])
        for plan in plans
        if plan is not None
        for group in plan.groups
        if None in group.levels.values()
    ]
    if refusals:
        with audit_batch():
            for plan, group, refused in refusals:
                _entry(plan, group, purpose=purpose, actor=actor, refused=refused)
        error = Restricted if any(group.held for _, group, _ in refusals) else AccessDenied
        raise error(sorted({f for _, _, refused in refusals for f in refused}), purpose)
    granted = [plan for plan in plans if plan is not None]
    if not granted:
        return [[] for _ in reads]
    # One lane lock and one multi-row INSERT for all the entries (audit.batch), written before
    # anything is decrypted.
    with audit_batch():
        for plan in granted:
            for group in plan.groups:
                _entry(plan, group, purpose=purpose, actor=actor, refused=None)
    ring = active_ring() or KeyRing()  # a unit of work's ring (the access file's) if one runs
    ring.load({group.subject for plan in granted for group in plan.groups})
    return [_decrypt(plan, ring) if plan is not None else [] for plan in plans]


def _decrypt(plan: _Plan, ring: KeyRing) -> list[dict[str, str | None]]:
    """Open (and mask where the grant says so) every value of a read; only after it is audited.

    Column by column for each person: the vault opens a whole column of their values in one
    call (`KeyRing.open_all`), and each row's dict is zipped from the opened columns, instead
    of a call into the vault and a dict assignment per value (decision 0025).
    """
    names = list(plan.encrypted)
    fields = list(plan.encrypted.values())
    # Each value's associated data is the column's prefix + the row id where the vault's
    # context has that shape (checked per column), else the vault builds it per value.
    prefixes = [_context_prefix(field) for field in fields]
    categories = [declaration(plan.model, name).category for name in names]
    out: list[dict[str, str | None]] = [{}] * len(plan.rows)
    for group in plan.groups:
        records = group.records
        if group.subject is None and any(
            value is not None and type(value) is not str
            for _, _, sealed in records
            for value in sealed
        ):
            raise ValueError(f"{plan.model.__name__} has no subject to open its data under.")
        ids = [pk.encode() for pk, _, _ in records]
        columns = []
        for column, (field, prefix) in enumerate(zip(fields, prefixes, strict=True)):
            contexts = (
                [prefix + row_id for row_id in ids]
                if prefix is not None
                else [field.context(_RowRef(pk)) for pk, _, _ in records]  # type: ignore[arg-type]
            )
            opened = ring.open_all(group.subject, [r[2][column] for r in records], contexts)
            if group.levels[names[column]] == Level.MASKED:
                opened = [mask(categories[column], value) for value in opened]
            columns.append(opened)
        for position, values in zip(group.positions, zip(*columns, strict=True), strict=True):
            out[position] = dict(zip(names, values, strict=True))
    return out


def _context_prefix(field: EncryptedField) -> bytes | None:
    """The part of `field`'s associated data before the row id, if the vault's context is that
    prefix followed by the row id (checked here, on two probe ids); else None, and each value's
    context is asked of the vault. Saves formatting the table and column once per value."""
    prefix = field.context(_RowRef(""))  # type: ignore[arg-type]
    probes = ("0", "00000000-0000-4000-8000-000000000000")
    if all(field.context(_RowRef(p)) == prefix + p.encode() for p in probes):  # type: ignore[arg-type]
        return prefix
    return None
