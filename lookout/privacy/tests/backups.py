"""A backup of the main database taken before an erasure, and the ciphertexts inside it.

SQLite: an online copy of the database file (sqlite3's backup API). PostgreSQL: a plain-format
`pg_dump` of the main database (what `raw_database_bytes` reads), whose COPY blocks are parsed
back into rows. Either way, the key store is not in the backup: it is kept and backed up apart.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections

from lookout.testing.raw import raw_database_bytes
from lookout.vault.fields import encrypted_fields


@dataclass(frozen=True)
class Sealed:
    table: str
    column: str
    row: uuid.UUID
    subject: uuid.UUID
    blob: bytes

    @property
    def context(self) -> bytes:
        return f"{self.table}.{self.column}.{self.row}".encode()


@dataclass(frozen=True)
class Backup:
    vendor: str
    sqlite_path: Path | None = None
    dump: bytes = b""


def take_backup(directory: Path) -> Backup:
    connection = connections["default"]
    if connection.vendor == "sqlite":
        target = directory / "main-backup.sqlite3"
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        copy = sqlite3.connect(str(target))
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        return Backup(vendor="sqlite", sqlite_path=target)
    return Backup(vendor="postgresql", dump=raw_database_bytes(["default"]))


def _columns() -> list[tuple[str, str, str, str]]:
    """(table, pk column, subject column, sealed column) for every encrypted field."""
    found = []
    for model in apps.get_models():
        for field in encrypted_fields(model).values():
            pk = model._meta.pk
            assert pk is not None
            subject: Any = model._meta.get_field(field.subject_field)
            found.append(
                (model._meta.db_table, str(pk.column), str(subject.column), str(field.column))
            )
    return found


def _copy_blocks(dump: bytes) -> dict[str, list[dict[str, str | None]]]:
    tables: dict[str, list[dict[str, str | None]]] = {}
    lines = dump.decode("utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("COPY ") and line.endswith("FROM stdin;"):
            name = line.split()[1].split(".")[-1].strip('"')
            columns = [
                c.strip().strip('"') for c in line.split("(", 1)[1].split(")", 1)[0].split(",")
            ]
            rows = tables.setdefault(name, [])
            i += 1
            while lines[i] != "\\.":
                values = [None if v == "\\N" else v for v in lines[i].split("\t")]
                rows.append(dict(zip(columns, values, strict=True)))
                i += 1
        i += 1
    return tables


def _bytea(text: str) -> bytes:
    text = text.replace("\\\\", "\\")
    assert text.startswith("\\x"), text[:10]
    return bytes.fromhex(text[2:])


def ciphertexts(backup: Backup, *, subject: uuid.UUID) -> list[Sealed]:
    """Every sealed value of `subject` held in the backup."""
    found = []
    if backup.vendor == "sqlite":
        assert backup.sqlite_path is not None
        db = sqlite3.connect(str(backup.sqlite_path))
        present = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        for table, pk, subject_col, column in _columns():
            if table not in present:  # an app whose migration is not written yet
                continue
            query = f'SELECT "{pk}", "{subject_col}", "{column}" FROM "{table}"'
            for row_id, row_subject, blob in db.execute(query):
                if blob is not None and uuid.UUID(str(row_subject)) == subject:
                    found.append(
                        Sealed(table, column, uuid.UUID(str(row_id)), subject, bytes(blob))
                    )
        db.close()
        return found
    tables = _copy_blocks(backup.dump)
    for table, pk, subject_col, column in _columns():
        for row in tables.get(table, []):
            value = row[column]
            if value is not None and uuid.UUID(str(row[subject_col])) == subject:
                found.append(Sealed(table, column, uuid.UUID(str(row[pk])), subject, _bytea(value)))
    return found
