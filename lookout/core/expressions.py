"""Small SQL expressions the ORM lacks, each with a reason to exist."""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import CharField, Func


class UuidText(Func):
    """A UUID column as its canonical text ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), what
    `str()` gives for the `uuid.UUID` Django would have returned.

    Why: a bulk read of thousands of rows (the access file) paid for a `uuid.UUID` object per
    id, made by the driver or by Django's converter, only to turn it back into text for the
    audit log and the vault's associated data; the database hands out the text instead.
    """

    output_field = CharField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        raise NotSupportedError(f"UuidText has no SQL for {connection.vendor}.")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="(%(expressions)s)::text")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps a UUID in SQLite as its 32 hex digits (`uuid.hex`): the dashes go back.
        parts = " || '-' || ".join(
            f"substr(%(expressions)s, {start}, {length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
        return super().as_sql(compiler, connection, template=f"({parts})")
