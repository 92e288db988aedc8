"""psycopg parses the audit log's batched INSERT once, not on every unit of work."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from lookout.audit.models import AuditEntry
from lookout.core.rows import insert_many

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg is PostgreSQL's"),
]


def _entries(first_seq: int) -> list[AuditEntry]:
    return [
        AuditEntry(seq=first_seq + n, at=timezone.now(), actor_ref="system", action="test.cache",
                   lane=98, lane_seq=first_seq + n, prev_hash="0" * 64, hash=f"{n:064x}")
        for n in range(4)
    ]  # fmt: skip


def test_a_four_entry_audit_insert_is_parsed_once() -> None:
    from psycopg import _queries

    insert_many(_entries(950_000))  # 64 parameters: beyond psycopg's own limit of 50
    before = _queries._query2pg.cache_info()
    insert_many(_entries(950_100))
    after = _queries._query2pg.cache_info()
    assert after.hits == before.hits + 1
    assert after.misses == before.misses
    assert AuditEntry.objects.filter(action="test.cache").count() == 8
