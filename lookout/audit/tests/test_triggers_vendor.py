"""The append-only triggers exist for SQLite and PostgreSQL; on any other database the store
refuses to start its audit log without them, and says which database it was (C4.4)."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from lookout.audit.triggers import create_triggers

pytestmark = pytest.mark.commitment("C4.4")


def test_another_database_is_refused_by_name():
    # a stand-in for another database's connection: its cursor is never used before the refusal
    other = SimpleNamespace(vendor="mysql", cursor=lambda: contextlib.nullcontext(None))

    with pytest.raises(NotImplementedError, match=r"SQLite and PostgreSQL only, not mysql\."):
        create_triggers(other)  # type: ignore[arg-type]
