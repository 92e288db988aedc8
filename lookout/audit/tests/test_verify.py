import uuid

import pytest
from django.db import connection

from lookout.audit.chain import entry_hash
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.audit.testing import append_only_suspended
from lookout.audit.tests.helpers import record_reveals
from lookout.audit.verify import verify_chain
from lookout.core.purposes import Purpose


@pytest.fixture
def chain(officer, customer):
    return record_reveals(actor=officer, subject=customer, count=5)


def _raw(sql, params):
    """Tamper the way an intruder with database access would: raw SQL, triggers dropped."""
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_empty_log_verifies():
    assert verify_chain().ok
    assert verify_chain().checked == 0


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_untouched_chain_verifies(chain):
    result = verify_chain()

    assert (result.ok, result.checked, result.first_broken_seq) == (True, 5, None)
    assert (result.head_seq, result.head_hash) == (chain[-1].seq, chain[-1].hash)


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_verify_walks_the_chain_page_by_page(chain):
    pages: list[int] = []

    result = verify_chain(page_size=2, progress=pages.append)

    assert result.ok
    assert result.checked == 5
    assert pages == [2, 4, 5]


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_edited_purpose_is_detected_at_that_entry(chain):
    _raw("UPDATE audit_auditentry SET purpose = %s WHERE seq = %s", ["legal", chain[2].seq])

    result = verify_chain()

    assert not result.ok
    assert result.first_broken_seq == chain[2].seq
    assert result.checked == 2
    assert "does not match its content" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_edited_fields_are_detected_at_that_entry(chain):
    with append_only_suspended():
        AuditEntry.objects.filter(seq=chain[3].seq).update(fields=["accounts.User.role"])

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, chain[3].seq)


def _bulk_read(officer, customer, ids):
    return record(
        actor=officer,
        action="reveal",
        subject=customer.subject,
        fields=["accounts.User.email"],
        purpose=Purpose.SUBJECT_REQUEST,
        outcome="granted",
        target=f"accounts.User:{len(ids)} records",
        targets=ids,
        detail={"count": len(ids)},
    )


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param(lambda ids: ids[:-1], id="one-record-removed"),
        pytest.param(lambda ids: [*ids, str(uuid.uuid4())], id="one-record-added"),
        pytest.param(lambda ids: [str(uuid.uuid4()), *ids[1:]], id="one-record-swapped"),
        pytest.param(lambda ids: ids[::-1], id="reordered"),
        pytest.param(lambda ids: [], id="emptied"),
        pytest.param(lambda ids: None, id="set-to-null"),
    ],
)
def test_edited_targets_are_detected_at_that_entry(chain, officer, customer, tampered):
    # given a bulk read naming three records, between other entries
    ids = [str(uuid.uuid4()) for _ in range(3)]
    bulk = _bulk_read(officer, customer, ids)
    record_reveals(actor=officer, subject=customer, count=1)
    assert verify_chain().ok

    # when someone changes the list of records it names, behind the triggers' back
    with append_only_suspended():
        AuditEntry.objects.filter(seq=bulk.seq).update(targets=tampered(ids))

    # then verification stops at that entry
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, bulk.seq)
    assert "does not match its content" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_targets_given_to_an_entry_that_had_none_are_detected(chain):
    # Entries without a list (all entries from before the column) hash without it; giving one
    # a list afterwards changes its hashed content.
    with append_only_suspended():
        AuditEntry.objects.filter(seq=chain[1].seq).update(targets=[str(uuid.uuid4())])

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, chain[1].seq)


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_targets_tampered_with_a_recomputed_hash_are_detected_at_the_next_entry(
    chain, officer, customer
):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    bulk = _bulk_read(officer, customer, ids)
    after = record_reveals(actor=officer, subject=customer, count=1)[0]
    row = AuditEntry.objects.filter(seq=bulk.seq).values().get()
    row["targets"] = ids[1:]
    with append_only_suspended():
        AuditEntry.objects.filter(seq=bulk.seq).update(targets=ids[1:], hash=entry_hash(row))

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, after.seq)
    assert "prev_hash" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_deleted_middle_entry_is_detected(chain):
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [chain[2].seq])

    result = verify_chain()

    # reported at the entry after the hole, which is where the numbering jumps
    assert (result.ok, result.first_broken_seq) == (False, chain[3].seq)
    assert "entry #3 is missing" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_deleted_first_entry_is_detected(chain):
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [chain[0].seq])

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, chain[1].seq)
    assert "entry #1 is missing" in result.reason


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_tampered_hash_column_alone_is_detected(chain):
    _raw("UPDATE audit_auditentry SET hash = %s WHERE seq = %s", ["f" * 64, chain[1].seq])

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, chain[1].seq)


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_edit_with_recomputed_hash_is_detected_at_the_next_entry(chain):
    # The intruder rewrites entry 2 and gives it a correct hash of its new content: entry 3
    # still points at the old hash.
    row = AuditEntry.objects.filter(seq=chain[1].seq).values().get()
    row["subject_ref"] = "00000000-0000-4000-8000-000000000000"
    _raw(
        "UPDATE audit_auditentry SET subject_ref = %s, hash = %s WHERE seq = %s",
        [row["subject_ref"], entry_hash(row), chain[1].seq],
    )

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, chain[2].seq)
    assert "prev_hash" in result.reason


def _legacy_entries(count):
    """Entries as written before lanes existed: one chain numbered by seq, no lane."""
    from django.utils import timezone

    from lookout.audit.models import GENESIS_HASH

    prev, rows = GENESIS_HASH, []
    for seq in range(1, count + 1):
        values = {
            "seq": seq, "at": timezone.now(), "actor_ref": "system", "actor_role": "system",
            "action": "test.legacy", "subject_ref": "", "fields": [], "purpose": "",
            "outcome": "ok", "target": "", "targets": None, "detail": {"n": seq},
            "lane": None, "lane_seq": None, "prev_hash": prev,
        }  # fmt: skip
        rows.append(AuditEntry.objects.create(hash=entry_hash(values), **values))
        prev = rows[-1].hash
    if connection.vendor == "postgresql":  # as migration 0004 does after the old entries
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditentry', 'seq'), %s, false)",
                [count + 1],
            )
    return rows


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_entries_from_before_lanes_and_laned_entries_verify_together():
    # given a log written before lanes existed, then entries appended in a lane
    legacy = _legacy_entries(3)
    laned = [record(actor=None, action="test.laned", detail={"n": n}) for n in range(2)]
    # then both chains verify, each with its own head
    result = verify_chain()
    assert (result.ok, result.checked) == (True, 5)
    assert result.heads["before lanes"] == (3, legacy[-1].hash)
    assert result.heads[f"lane {laned[0].lane}"] == (2, laned[-1].hash)
    assert laned[0].seq > legacy[-1].seq


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_an_old_entry_given_a_lane_is_detected():
    legacy = _legacy_entries(3)
    with append_only_suspended():
        AuditEntry.objects.filter(seq=legacy[2].seq).update(lane=1, lane_seq=1)

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, legacy[2].seq)


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_an_entry_moved_to_another_lane_is_detected(chain):
    with append_only_suspended():
        AuditEntry.objects.filter(seq=chain[4].seq).update(lane=chain[4].lane % 16 + 1)

    result = verify_chain()

    assert not result.ok
    assert result.first_broken_seq == chain[4].seq
