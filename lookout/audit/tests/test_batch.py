"""`audit.batch()`: the entries of one unit of work are written together as it ends (one lane
lock and head read, one INSERT), and still commit or roll back exactly with their change."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from lookout.audit.models import AuditEntry
from lookout.audit.services import batch, record
from lookout.audit.testing import audit_triggers_suspended, run_writers  # noqa: F401
from lookout.audit.verify import verify_chain
from lookout.catalog.models import Product
from lookout.orders.testing import make_product

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _stored(entry: AuditEntry) -> dict:
    row = AuditEntry.objects.get(pk=entry.pk)
    return {f.attname: getattr(row, f.attname) for f in AuditEntry._meta.concrete_fields}


def _as_object(entry: AuditEntry) -> dict:
    return {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}


@pytest.mark.commitment("C4.4")
def test_a_batch_writes_its_entries_together_as_it_ends() -> None:
    with CaptureQueriesContext(connection) as queries, batch():
        entries = [record(actor=None, action="test.batched", detail={"n": n}) for n in range(4)]
        # nothing written yet: the entries wait for the end of the block
        assert not any("audit" in q["sql"] for q in queries.captured_queries)
        assert all(e.pk is None for e in entries)
    # one head read (with the lane lock, on PostgreSQL) and one INSERT for all four
    audit_sql = [q["sql"] for q in queries.captured_queries if "audit" in q["sql"]]
    assert len(audit_sql) == 2, audit_sql
    assert audit_sql[1].startswith("INSERT") and audit_sql[1].count("), (") == 3
    # in the order recorded, numbered without a hole, and each object is the stored row
    assert [e.detail["n"] for e in entries] == [0, 1, 2, 3]
    places = [e.lane_seq or 0 for e in entries]
    assert places == list(range(places[0], places[0] + 4))
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    for entry in entries:
        assert _stored(entry) == _as_object(entry)
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
def test_entries_continue_the_lane_after_ones_written_alone() -> None:
    with transaction.atomic():
        alone = record(actor=None, action="test.alone")
        with batch():
            batched = [record(actor=None, action="test.batched") for _ in range(2)]
        after = record(actor=None, action="test.after")
    first = alone.lane_seq or 0
    assert [e.lane_seq for e in (alone, *batched, after)] == list(range(first, first + 4))
    assert batched[0].prev_hash == alone.hash and after.prev_hash == batched[1].hash
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
def test_a_failed_batch_writes_neither_its_change_nor_its_entries() -> None:
    product = make_product(stock=5)
    with pytest.raises(Boom), transaction.atomic(), batch():  # the test's own savepoint
        Product.objects.filter(pk=product.pk).update(stock=4)
        record(actor=None, action="test.failed")
        raise Boom
    assert Product.objects.get(pk=product.pk).stock == 5
    assert not AuditEntry.objects.filter(action="test.failed").exists()
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
def test_an_entry_of_a_savepoint_rolled_back_inside_the_batch_is_dropped_with_it() -> None:
    with batch():
        record(actor=None, action="test.before")
        with pytest.raises(Boom), transaction.atomic():
            record(actor=None, action="test.undone")
            raise Boom
        record(actor=None, action="test.after")
    actions = list(
        AuditEntry.objects.filter(action__startswith="test.").values_list("action", flat=True)
    )
    assert actions == ["test.before", "test.after"]
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
def test_an_entry_of_a_savepoint_kept_inside_the_batch_is_written() -> None:
    # disclose() audits a refusal in a savepoint and the checkout goes on: the entry must stay
    with batch():
        with transaction.atomic():
            record(actor=None, action="test.refusal")
        record(actor=None, action="test.after")
    assert AuditEntry.objects.filter(action__in=["test.refusal", "test.after"]).count() == 2
    assert verify_chain().ok


def test_a_failure_caught_inside_the_batch_rolls_all_of_it_back() -> None:
    # An inner block without a savepoint failed and the error was caught: the transaction can
    # only roll back, so the batch writes nothing (and raises nothing new) at its end.
    with transaction.atomic(), batch():
        record(actor=None, action="test.doomed")
        try:
            with transaction.atomic(savepoint=False):
                raise Boom
        except Boom:
            pass
        assert connection.needs_rollback
    assert not AuditEntry.objects.filter(action="test.doomed").exists()


def test_a_batch_inside_a_batch_joins_it() -> None:
    with CaptureQueriesContext(connection) as queries, batch():
        record(actor=None, action="test.outer")
        with batch():
            inner = record(actor=None, action="test.inner")
        assert inner.pk is None  # written with the outer batch, not at the inner block's end
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert inner.pk is not None and verify_chain().ok


def test_an_empty_batch_touches_no_audit_table() -> None:
    with CaptureQueriesContext(connection) as queries, batch():
        pass
    assert not any("audit" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("C4.4")
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_batches_sharing_one_lane_chain_without_a_hole_or_repeat(settings) -> None:
    # Given one lane for every connection, so that every batch waits for the others' commits
    settings.LOOKOUT_AUDIT_LANES = 1
    writers, batches, each = 4, 5, 3

    def write(number: int) -> None:
        for b in range(batches):
            with batch():
                for n in range(each):
                    record(actor=None, action="test.shared", detail={"w": number, "b": b, "n": n})

    errors = run_writers(writers, write)
    assert errors == []
    total = writers * batches * each
    result = verify_chain()
    assert (result.ok, result.checked) == (True, total)
    places = AuditEntry.objects.filter(lane=1).order_by("lane_seq")
    assert list(places.values_list("lane_seq", flat=True)) == list(range(1, total + 1))
    # each batch's entries are consecutive in the lane
    rows = list(places.values_list("detail", flat=True))
    for start in range(0, total, each):
        group = rows[start : start + each]
        assert len({(d["w"], d["b"]) for d in group}) == 1
        assert [d["n"] for d in group] == list(range(each))
