"""The data inventory: every stored field of every table, personal or not (commitment C2.1).

Built from the code, never kept by hand: each Lookout app declares its models' fields in its
`personal_data.py` (`FIELDS = {Model: {"field": Personal(...) | NotPersonal("why")}}`), and
`lookout/privacy/personal_data.py` declares the tables of Django and third-party apps plus the
tables that have no model (the database cache). `undeclared()` lists every concrete field of
every installed model (auto-created many-to-many tables included) that has no declaration, so a
new field cannot go unclassified; `stale()` lists declarations that name nothing;
`invalid_categories()` lists categories outside fideslang's default taxonomy.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.db import models

from lookout.core.inventory import ALL_COLUMNS, NotPersonal, Personal, RawTable, Retention

Declaration = Personal | NotPersonal
Declarations = Mapping[Any, Mapping[str, Declaration]]


@dataclass(frozen=True)
class FieldEntry:
    """One row of the inventory: one column of one table."""

    app: str
    model: str
    table: str
    field: str
    column: str
    personal: bool
    category: str
    purposes: tuple[str, ...]
    retention: str | None
    stored_as: str | None  # personal fields: how the value is stored
    why: str | None  # non-personal fields: why it identifies nobody

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["purposes"] = list(self.purposes)
        return data


# --- collecting the declarations --------------------------------------------------------------


def _modules(registry: Apps) -> list[str]:
    """The `personal_data` modules of every Lookout app, plus the third-party declarations."""
    names = [
        f"{config.name}.personal_data"
        for config in registry.get_app_configs()
        if config.name.startswith("lookout.")
    ]
    names.append("lookout.privacy.personal_data")
    return sorted({n for n in names if importlib.util.find_spec(n) is not None})


def collect(
    registry: Apps | None = None,
) -> tuple[dict[type[models.Model], dict[str, Declaration]], list[str]]:
    """All declarations keyed by model, and the fields declared twice (in two modules)."""
    merged: dict[type[models.Model], dict[str, Declaration]] = {}
    origin: dict[tuple[type[models.Model], str], str] = {}
    twice: list[str] = []
    for name in _modules(registry or django_apps):
        module = importlib.import_module(name)
        for model, fields in getattr(module, "FIELDS", {}).items():
            for field_name, declaration in fields.items():
                key = (model, field_name)
                if key in origin and origin[key] != name:
                    twice.append(
                        f"{_label(model)}.{field_name}: declared in {origin[key]} and {name}"
                    )
                origin[key] = name
                merged.setdefault(model, {})[field_name] = declaration
    return merged, twice


def with_link_tables(
    declarations: Declarations,
) -> dict[type[models.Model], dict[str, Declaration]]:
    """Declarations plus those implied for auto-created many-to-many tables.

    Declaring a many-to-many field on its model (e.g. `Product.works_with`) covers the link
    table Django creates for it: its row id is a row number, its two link columns take the
    field's declaration. A declaration of the link table itself (`Model.field.through`) wins,
    column by column.
    """
    result = {model: dict(fields) for model, fields in declarations.items()}
    for model, fields in declarations.items():
        for m2m in model._meta.local_many_to_many:
            through: Any = m2m.remote_field.through  # type: ignore[attr-defined]
            if m2m.name not in fields or not through._meta.auto_created:
                continue
            link = result.setdefault(through, {})
            for f in _stored_fields(through):
                link.setdefault(
                    f.name,
                    NotPersonal("row number of a link table")
                    if f.primary_key
                    else fields[m2m.name],
                )
    return result


def raw_tables() -> list[RawTable]:
    """Tables without a model, declared as `RAW_TABLES` in any app's `personal_data.py`."""
    tables: list[RawTable] = []
    for name in _modules(django_apps):
        tables += getattr(importlib.import_module(name), "RAW_TABLES", [])
    return tables


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def stored_models(registry: Apps | None = None) -> list[type[models.Model]]:
    """Every model that has a table of its own (proxies share their parent's)."""
    registry = registry or django_apps
    return [m for m in registry.get_models(include_auto_created=True) if not m._meta.proxy]


def _stored_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    # Columns in this model's own table: a child's inherited fields live in the parent's.
    return list(model._meta.local_concrete_fields)


# --- the checks -------------------------------------------------------------------------------


def undeclared(registry: Apps | None = None, declarations: Declarations | None = None) -> list[str]:
    """`app.Model.field` for every stored field that no `personal_data.py` declares."""
    if declarations is None:
        declarations = collect(registry)[0]
    declarations = with_link_tables(declarations)
    missing = []
    for model in stored_models(registry):
        declared = declarations.get(model, {})
        for f in _stored_fields(model):
            if f.name not in declared:
                missing.append(f"{_label(model)}.{f.name}")
    return sorted(missing)


def stale(registry: Apps | None = None, declarations: Declarations | None = None) -> list[str]:
    """Declarations that name no stored field (renamed, removed, or a model not installed)."""
    twice: list[str] = []
    if declarations is None:
        declarations, twice = collect(registry)
    installed = set(stored_models(registry))
    problems = list(twice)
    for model, fields in declarations.items():
        if model not in installed:
            problems.append(f"{_label(model)}: model is not installed or has no table")
            continue
        names = {f.name for f in _stored_fields(model)}
        names |= {f.name for f in model._meta.local_many_to_many}
        problems += [
            f"{_label(model)}.{name}: no such stored field" for name in fields if name not in names
        ]
    return sorted(problems)


def unknown_columns(using: str = "default") -> list[str]:
    """`table.column` for every column in database `using` that the inventory does not list.

    Catches what the model checks cannot: a table or column created by raw SQL, a stray
    migration, or a third-party app's table without a model.
    """
    from django.db import connections

    known: dict[str, set[str]] = {}
    for entry in inventory():
        known.setdefault(entry.table, set()).add(entry.column)
    connection = connections[using]
    problems = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            listed = known.get(table, set())
            if ALL_COLUMNS not in listed:
                problems += [f"{table}.{c}" for c in sorted(columns - listed)]
    return sorted(problems)


@cache
def fideslang_categories() -> frozenset[str]:
    """Every data category key of fideslang's default taxonomy (e.g. `user.contact.email`)."""
    from fideslang import DEFAULT_TAXONOMY

    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)


def invalid_categories(declarations: Declarations | None = None) -> list[str]:
    """Declarations whose category is not in fideslang's default taxonomy, or is misclassed.

    A personal field must use a `user.*` category; a non-personal one must not. Without
    `declarations`, checks the whole inventory, tables without a model included.
    """
    pairs: list[tuple[str, Mapping[str, Declaration]]]
    if declarations is None:
        pairs = [(_label(m), fields) for m, fields in collect()[0].items()]
        pairs += [(f"table {t.table}", t.columns) for t in raw_tables()]
    else:
        pairs = [(_label(m), fields) for m, fields in declarations.items()]
    known = fideslang_categories()
    problems = []
    for where, fields in pairs:
        for name, d in fields.items():
            if d.category not in known:
                problems.append(f"{where}.{name}: {d.category!r} is not a fideslang data category")
            elif d.is_personal != d.category.startswith("user."):
                kind = "personal" if d.is_personal else "non-personal"
                problems.append(f"{where}.{name}: {kind} field with category {d.category!r}")
    return sorted(problems)


# --- the inventory ----------------------------------------------------------------------------


def _entry(
    *, app: str, model: str, table: str, field: str, column: str, d: Declaration
) -> FieldEntry:
    retention: Retention | None = d.retention
    return FieldEntry(
        app=app,
        model=model,
        table=table,
        field=field,
        column=column,
        personal=d.is_personal,
        category=d.category,
        purposes=tuple(sorted(str(p) for p in d.purposes)) if isinstance(d, Personal) else (),
        retention=str(retention) if retention else None,
        stored_as=d.stored_as if isinstance(d, Personal) else None,
        why=d.why if isinstance(d, NotPersonal) else None,
    )


def inventory(registry: Apps | None = None) -> list[FieldEntry]:
    """Every declared column of every table, sorted by table then column."""
    declarations = with_link_tables(collect(registry)[0])
    entries = []
    for model in stored_models(registry):
        declared = declarations.get(model, {})
        for f in _stored_fields(model):
            if f.name in declared:
                entries.append(
                    _entry(
                        app=model._meta.app_label,
                        model=model._meta.object_name or model.__name__,
                        table=model._meta.db_table,
                        field=f.name,
                        column=f.column or f.name,
                        d=declared[f.name],
                    )
                )
    for raw in raw_tables():
        for column, d in raw.columns.items():
            entries.append(
                _entry(app=raw.owner, model="", table=raw.table, field=column, column=column, d=d)
            )
    return sorted(entries, key=lambda e: (e.table, e.column))
