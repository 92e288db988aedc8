"""Raw database reads for tests that check what is actually stored (C2.3, C4.2, C6.4, ...).

"No personal data in plaintext at rest" is a claim about bytes on disk, so these tests must not
go through the ORM (which decrypts, or masks): `raw_database_bytes()` returns the stored bytes
of the main database and of the key store; `raw_rows()` reads a table through a raw cursor.

Only committed data is on disk. A normal `@pytest.mark.django_db` test runs inside a
transaction that is rolled back at its end, so its rows never reach the file (SQLite) or a
`pg_dump` (PostgreSQL, another connection). A test that reads raw bytes therefore uses
`@pytest.mark.django_db(transaction=True)`; `raw_database_bytes()` refuses to run inside an
open transaction rather than return bytes that would make such a test pass vacuously.

Transactional tests end with a flush of every table; on SQLite the audit log's append-only
triggers refuse that flush once the test wrote audit entries. Such tests also use the
`audit_triggers_suspended` fixture from `lookout.audit.testing`:

    from lookout.audit.testing import audit_triggers_suspended  # noqa: F401

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.usefixtures("audit_triggers_suspended")
    def test_no_email_in_plaintext(): ...
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import connections

DATABASES = ("default", "keystore")


class RawReadError(RuntimeError):
    """The raw bytes cannot be read honestly (open transaction, no pg_dump, dump failed)."""


def raw_database_bytes(aliases: Iterable[str] = DATABASES) -> bytes:
    """The stored bytes of the given databases (default: main database and key store).

    SQLite: checkpoint the write-ahead log into the file, then read the database file and any
    `-wal` file left. PostgreSQL: a plain-format, data-only `pg_dump` of the database.
    """
    chunks = []
    for alias in aliases:
        connection = connections[alias]
        if connection.in_atomic_block:
            raise RawReadError(
                f"database {alias!r} is inside a transaction: its rows are not on disk yet. "
                "Use @pytest.mark.django_db(transaction=True) for raw reads."
            )
        if connection.vendor == "sqlite":
            chunks.append(_sqlite_bytes(connection))
        elif connection.vendor == "postgresql":
            chunks.append(_pg_dump(connection.settings_dict))
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RawReadError(f"raw reads are not implemented for {connection.vendor}")
    return b"\n".join(chunks)


def _sqlite_bytes(connection: Any) -> bytes:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.fetchall()
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise RawReadError(f"SQLite database {name!r} is in memory: nothing on disk to read")
    path = Path(name)
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    return data


def _pg_dump(settings_dict: dict[str, Any]) -> bytes:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise RawReadError("pg_dump is not on PATH: install the PostgreSQL client tools")
    command = [pg_dump, "--data-only", "--format=plain", "--no-owner", "--no-privileges"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command.append(f"{option}={settings_dict[key]}")
    command.append(str(settings_dict["NAME"]))
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    # Arguments come from the test settings, not from user input.
    result = subprocess.run(command, capture_output=True, env=env, timeout=300, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RawReadError(f"pg_dump failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def raw_rows(table: str, using: str = "default") -> list[tuple[Any, ...]]:
    """Every row of `table` as stored, through a raw cursor (no model, no decryption)."""
    connection = connections[using]
    if table not in connection.introspection.table_names():
        raise RawReadError(f"no table {table!r} in database {using!r}")
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # The name is checked against the database's own table list and quoted.
        cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608
        return [tuple(row) for row in cursor.fetchall()]
