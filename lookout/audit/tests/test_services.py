import hashlib
import hmac
import json
import uuid
from datetime import UTC
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from lookout.audit.models import GENESIS_HASH, AuditEntry
from lookout.audit.services import AuditDataError, record
from lookout.audit.tests.helpers import record_reveals
from lookout.core.purposes import Purpose
from lookout.vault.master import master_cache


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_entries_form_a_chain(officer, customer):
    entries = record_reveals(actor=officer, subject=customer, count=3)

    assert [e.lane_seq for e in entries] == [1, 2, 3]
    assert len({e.lane for e in entries}) == 1 and entries[0].seq < entries[1].seq < entries[2].seq
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_entry_says_who_whose_which_fields_purpose_and_when(officer, customer):
    entry = record(
        actor=officer,
        action="reveal",
        subject=customer.subject,
        fields=["accounts.User.email"],
        purpose=Purpose.SUBJECT_REQUEST,
        outcome="granted",
        target=customer,
    )

    stored = AuditEntry.objects.get(seq=entry.seq)
    assert stored.actor_ref == str(officer.subject)
    assert stored.actor_role == "privacy_officer"
    assert stored.subject_ref == str(customer.subject)
    assert stored.fields == ["accounts.User.email"]
    assert stored.purpose == "subject_request"
    assert stored.outcome == "granted"
    assert stored.target == f"accounts.User:{customer.pk}"
    assert stored.at.tzinfo is not None
    assert list(AuditEntry.objects.for_subject(customer.subject)) == [stored]
    assert list(AuditEntry.objects.by_actor(officer.subject)) == [stored]


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_system_actions_name_the_system():
    entry = record(actor=None, action="keys.rotated", detail={"keys": 3})

    assert (entry.actor_ref, entry.actor_role, entry.subject_ref) == ("system", "system", "")


def _json(value):
    return value if isinstance(value, list | dict) else json.loads(value)


@pytest.mark.django_db
def test_anonymous_visitors_are_named_anonymous():
    entry = record(actor=AnonymousUser(), action="reveal.refused", outcome="refused")

    assert (entry.actor_ref, entry.actor_role) == ("anonymous", "")


def _keyed(canonical: bytes) -> str:
    """The documented recipe: the audit key is the master keyset's PRF over a fixed label."""
    _, index_prf, _ = master_cache.get()
    key = index_prf.primary().compute(b"lookout audit chain key v1", 32)
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_hash_is_hmac_sha256_of_the_documented_canonical_json(officer, customer):
    # An outside auditor holding the master keyset can recompute a hash from the raw row with
    # nothing but this recipe: the key is the keyset's PRF over a fixed label (decision 0035).
    entry = record_reveals(actor=officer, subject=customer, count=1)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, at, actor_ref, actor_role, action, subject_ref, fields, purpose, "
            "outcome, target, detail, prev_hash, lane, lane_seq, hash FROM audit_auditentry "
            "WHERE seq = %s",
            [entry.seq],
        )
        row = cursor.fetchone()
    stored_hash = row[-1]
    document = {
        "seq": row[0],
        "at": entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_ref": row[2],
        "actor_role": row[3],
        "action": row[4],
        "subject_ref": row[5],
        "fields": _json(row[6]),
        "purpose": row[7],
        "outcome": row[8],
        "target": row[9],
        "detail": _json(row[10]),
        "prev_hash": row[11],
        "lane": row[12],
        "lane_seq": row[13],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    assert _keyed(canonical) == stored_hash
    assert hashlib.sha256(canonical).hexdigest() != stored_hash  # no longer the plain hash
    assert '"note":"caf\\u00e9"' in canonical.decode()


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_targets_are_hashed_with_the_entry_when_present(officer, customer):
    # The documented recipe again, for an entry naming records in its `targets` list: the
    # list is one more key of the hashed document ("targets"), and is absent when NULL.
    ids = [uuid.uuid4() for _ in range(3)]
    entry = record(
        actor=officer,
        action="reveal",
        subject=customer.subject,
        fields=["accounts.User.email"],
        purpose=Purpose.SUBJECT_REQUEST,
        outcome="granted",
        target="accounts.User:3 records",
        targets=[ids[0], str(ids[1]), ids[2]],
        detail={"count": 3},
    )
    plain = record(actor=None, action="test.plain")
    with connection.cursor() as cursor:
        cursor.execute("SELECT targets FROM audit_auditentry ORDER BY seq")
        stored = [row[0] for row in cursor.fetchall()]

    assert _json(stored[0]) == [str(i) for i in ids] and stored[1] is None
    row: dict[str, Any] = dict(AuditEntry.objects.filter(seq=entry.seq).values().get())
    document = {k: row[k] for k in row if k not in ("hash", "at")}
    document["at"] = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert _keyed(canonical) == entry.hash
    assert f'"targets":["{ids[0]}","{ids[1]}","{ids[2]}"]' in canonical.decode()
    plain_row: dict[str, Any] = dict(AuditEntry.objects.filter(seq=plain.seq).values().get())
    assert plain_row["targets"] is None
    document = {k: plain_row[k] for k in plain_row if k not in ("hash", "at", "targets")}
    document["at"] = plain.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert _keyed(canonical) == plain.hash


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_entry_holds_no_personal_data(officer, customer):
    record_reveals(actor=officer, subject=customer, count=1)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditentry")
        raw = repr(cursor.fetchall())

    assert str(customer.subject) in raw
    assert str(officer.subject) in raw
    assert "ann@example.com" not in raw
    assert "olga@example.com" not in raw
    assert "example.com" not in raw


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
@pytest.mark.parametrize(
    "detail",
    [{"email": "ann@example.com"}, {"phone": "+44 20 7946 0958"}, {"ip": "203.0.113.42"}],
)
def test_record_refuses_personal_values_and_writes_nothing(officer, customer, detail):
    with pytest.raises(AuditDataError, match="personal data"):
        record(actor=officer, action="reveal", subject=customer.subject, detail=detail)

    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        {"action": "Reveal Email"},
        {"action": ""},
        {"fields": "accounts.User.email"},
        {"fields": ["not a field"]},
        {"purpose": "because I wanted to"},
        {"outcome": "maybe"},
        {"detail": {"ratio": 0.5}},
        {"detail": {"bad key": 1}},
        {"target": "x" * 201},
        {"targets": "0b0e4c1e-6a1f-4c47-9d4b-3f0c2a8e1b55"},
        {"targets": ["ann@example.com"]},
        {"targets": ["4111 1111 1111 1111"]},
        {"targets": ["0B0E4C1E-6A1F-4C47-9D4B-3F0C2A8E1B55"]},
        {"targets": ["0b0e4c1e-6a1f-4c47-9d4b-3f0c2a8e1b55 "]},
        {"targets": [42]},
    ],
)
def test_record_refuses_malformed_entries(bad):
    arguments = {"actor": None, "action": "test.thing"} | bad

    with pytest.raises(AuditDataError):
        record(**arguments)

    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_rolled_back_write_leaves_no_entry_and_no_gap(officer, customer):
    # The entry commits or rolls back with the change it describes.
    record_reveals(actor=officer, subject=customer, count=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_reveals(actor=officer, subject=customer, count=1)
        raise RuntimeError("the caller's change failed")

    entry = record(actor=None, action="test.after")

    first = AuditEntry.objects.get(lane_seq=1)
    assert list(AuditEntry.objects.order_by("seq").values_list("lane", "lane_seq")) == [
        (first.lane, 1),
        (first.lane, 2),
    ]
    assert entry.prev_hash == first.hash
