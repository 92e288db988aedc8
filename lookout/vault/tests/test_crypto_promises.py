"""What the vault promises about sealed personal data, seen from outside (C4.2, C6.4).

A value altered, cut short or moved is refused with the reason that says which; a destroyed key
opens nothing for anyone; a sealed value never prints; data sealed by an earlier release keeps
opening; a re-wrap keeps data readable, moves each key once, and is what dates the master key;
the key check counts every key and names exactly those that do not unwrap.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from lookout.vault import rotation
from lookout.vault.crypto import (
    KeyCheck,
    KeyDestroyed,
    KeyNotDurable,
    KeyRing,
    Sealed,
    TamperedCiphertext,
    create_data_key,
    create_data_keys,
    data_key,
    destroy_data_key,
    destroy_data_keys,
    new_subject,
    open_sealed,
    rewrap,
    seal,
    verify_data_keys,
)
from lookout.vault.master import ensure_master_keys
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])

CONTEXT = b"orders_delivery.name.42"
UNKNOWN_FORMAT = r"^Unknown ciphertext format\.$"
NOT_ITS_ROW = r"^Ciphertext does not match its table, column and row\.$"

# A value sealed by this release, kept as it was stored: the master keyset's wrapping part (a
# keyset made for this test only, protecting nothing else), one person's wrapped data key and
# a value sealed under it. Any change to how keys are wrapped or values sealed stops it opening,
# as it would stop every store's existing data opening after an upgrade.
GOLDEN_WRAP: dict[str, object] = {
    "primaryKeyId": 723775271,
    "key": [
        {
            "keyData": {
                "typeUrl": "type.googleapis.com/google.crypto.tink.AesGcmKey",
                "value": "GiBKSgrSbxAIP5/GIGbzCziY4CImUht/C3kwfyx8SYCZlQ==",
                "keyMaterialType": "SYMMETRIC",
            },
            "status": "ENABLED",
            "keyId": 723775271,
            "outputPrefixType": "TINK",
        }
    ],
}
GOLDEN_MASTER_KEY_ID = 723775271
GOLDEN_SUBJECT = uuid.UUID("5f0c2a9e-3b1d-4e7a-9c44-2d8b6f1e0a73")
GOLDEN_WRAPPED = bytes.fromhex(
    "012b23ef275cfb0a27e2801f0615fb974f9d59d8323bd33dc985c7852f78a821f69d1be42f64a0a62089d5"
    "0ab9a47da1e00d83b93eb2d9399c0c60094241340015"
)
GOLDEN_BLOB = bytes.fromhex(
    "012fb380230740b20081ddefc5b443195cf4645984307d03b80e6edfab9b5410fc850e7e5ecf4d0012"
)


@pytest.fixture
def own_master_keys(settings, tmp_path: Path) -> None:
    """A master key file of this test's own: rotating it touches no other test's keys."""
    settings.LOOKOUT_MASTER_KEY_FILE = tmp_path / "master-keyset.json"
    ensure_master_keys()


def _key_store_queries(queries: CaptureQueriesContext, verb: str) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(verb))


# --- what is refused, and why ---------------------------------------------------------------


def test_an_empty_value_is_sealed_and_opens_again() -> None:
    # given a value with no characters (a blank optional field): format byte, nonce and tag only
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    blob = seal(subject=person, plaintext="", context=CONTEXT)
    assert len(blob) == 1 + 12 + 16

    # then it opens as the empty value it was, one by one and in bulk
    assert open_sealed(subject=person, blob=blob, context=CONTEXT) == ""
    assert KeyRing().open_all(person, [blob], [CONTEXT]) == [""]


def test_bytes_too_short_to_be_a_sealed_value_are_refused_as_an_unknown_format() -> None:
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    blob = seal(subject=person, plaintext="", context=CONTEXT)

    # a blanked column, or a value cut anywhere short of format byte + nonce + tag
    for length in range(len(blob)):
        with pytest.raises(TamperedCiphertext, match=UNKNOWN_FORMAT):
            open_sealed(subject=person, blob=blob[:length], context=CONTEXT)
    with pytest.raises(TamperedCiphertext, match=UNKNOWN_FORMAT):
        KeyRing().open_all(person, [b"\x01" + bytes(20)], [CONTEXT])


def test_a_value_of_another_format_is_refused_as_an_unknown_format() -> None:
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)

    for version in (b"\x00", b"\x02", b"\xff"):
        with pytest.raises(TamperedCiphertext, match=UNKNOWN_FORMAT):
            open_sealed(subject=person, blob=version + blob[1:], context=CONTEXT)


def test_an_altered_moved_or_swapped_value_is_refused_as_not_matching_its_row() -> None:
    person, other = new_subject(kind="customer"), new_subject(kind="customer")
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)

    def flipped(at: int) -> bytes:
        return blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1 :]

    # any one bit changed: in the nonce, the ciphertext or the tag
    for at in (1, 13, len(blob) - 1):
        with pytest.raises(TamperedCiphertext, match=NOT_ITS_ROW):
            open_sealed(subject=person, blob=flipped(at), context=CONTEXT)
    # moved to another row or column, or opened as another person's value
    with pytest.raises(TamperedCiphertext, match=NOT_ITS_ROW):
        open_sealed(subject=person, blob=blob, context=b"orders_delivery.name.43")
    with pytest.raises(TamperedCiphertext, match=NOT_ITS_ROW):
        KeyRing().open_all(other, [blob], [CONTEXT])
    # and the value itself is still sound
    assert open_sealed(subject=person, blob=blob, context=CONTEXT) == "Ada Lovelace"


# --- a sealed value never prints ------------------------------------------------------------


def test_a_sealed_value_prints_as_the_mask_wherever_it_is_shown() -> None:
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)
    value = Sealed(blob)

    # in a template, a log line's %r, a debugger, a list in an error page
    assert str(value) == "•••"
    assert repr(value) == "<Sealed •••>"
    assert f"{value!r}" == "<Sealed •••>"
    assert repr([value, {"name": value}]) == "[<Sealed •••>, {'name': <Sealed •••>}]"
    # nothing of the ciphertext, let alone the plaintext or the key
    key = data_key(person)
    for shown in (str(value), repr(value)):
        assert "Ada" not in shown
        assert blob.hex()[:8] not in shown and repr(blob)[:8] not in shown
        assert key.hex()[:8] not in shown


# --- keys: made durably, recorded, destroyed for good ----------------------------------------


def test_a_new_persons_key_is_refused_inside_a_key_store_transaction_saying_why() -> None:
    before = DataKey.objects.count()

    # when a caller holding a key-store transaction asks for a new person's key
    with transaction.atomic(using=KEYSTORE), pytest.raises(KeyNotDurable) as refused:
        new_subject(kind=DataKey.Kind.GUEST)

    # then it is refused, with the reason and what to do instead, and no key was made
    message = str(refused.value)
    assert message.startswith("A new data key must commit on its own, before anything sealed")
    assert message.endswith("call new_subject() outside any key-store transaction.")
    assert DataKey.objects.count() == before

    # while a transaction on the main database is no obstacle (checkout holds one)
    with transaction.atomic(using="default"):
        guest = new_subject(kind=DataKey.Kind.GUEST)
    assert DataKey.objects.filter(subject=guest).exists()


def test_each_key_records_what_kind_of_person_it_belongs_to() -> None:
    guest = new_subject(kind=DataKey.Kind.GUEST)
    staff = uuid.uuid4()
    create_data_key(subject=staff, kind=DataKey.Kind.STAFF)
    imported = [uuid.uuid4(), uuid.uuid4()]
    create_data_keys(subjects=imported, kind=DataKey.Kind.CUSTOMER)

    kinds = dict(DataKey.objects.values_list("subject", "kind"))
    assert kinds[guest] == "guest"
    assert kinds[staff] == "staff"
    assert [kinds[p] for p in imported] == ["customer", "customer"]


@pytest.mark.commitment("C6.4")
def test_a_destroyed_persons_data_opens_for_nobody_and_the_refusal_names_them() -> None:
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    others = [new_subject(kind=DataKey.Kind.CUSTOMER) for _ in range(2)]
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)

    assert destroy_data_key(subject=person)

    # the store refuses, one by one and in bulk, naming whose key is gone
    refusal = rf"^No data key for subject {person}\.$"
    with pytest.raises(KeyDestroyed, match=refusal):
        open_sealed(subject=person, blob=blob, context=CONTEXT)
    with pytest.raises(KeyDestroyed, match=refusal):
        KeyRing().open_all(person, [blob], [CONTEXT])
    # and someone with both databases in hand finds no row of that key, and no key left in
    # the key store opens the value
    assert not DataKey.objects.filter(subject=person).exists()
    for row in DataKey.objects.all():
        with pytest.raises(InvalidTag):
            AESGCM(data_key(row.subject)).decrypt(blob[1:13], blob[13:], CONTEXT)
    assert {row.subject for row in DataKey.objects.all()} >= set(others)


@pytest.mark.commitment("C6.4")
def test_retention_destroys_thousands_of_keys_all_of_them_and_counts_them() -> None:
    # given more people than one statement takes, and a bystander
    people = [uuid.uuid4() for _ in range(2001)]
    create_data_keys(subjects=people, kind=DataKey.Kind.GUEST)
    bystander = new_subject(kind=DataKey.Kind.CUSTOMER)

    # when they are shredded at once (some named twice)
    destroyed = destroy_data_keys(subjects=people + people[:5])

    # then every one of their keys is gone, each counted once, and nobody else's
    assert destroyed == 2001
    left = sum(
        DataKey.objects.filter(subject__in=people[start : start + 500]).count()
        for start in range(0, len(people), 500)
    )
    assert left == 0
    assert list(DataKey.objects.values_list("subject", flat=True)) == [bystander]


@pytest.mark.commitment("C6.4")
def test_a_few_people_are_shredded_with_one_delete() -> None:
    people = [new_subject(kind=DataKey.Kind.GUEST) for _ in range(3)]

    with CaptureQueriesContext(connections[KEYSTORE]) as queries:
        assert destroy_data_keys(subjects=people) == 3

    assert _key_store_queries(queries, "DELETE") == 1


def test_a_ring_passed_in_is_used_without_reading_the_key_store_again() -> None:
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    ring = KeyRing()
    ring.load([person])

    with CaptureQueriesContext(connections[KEYSTORE]) as queries:
        blob = seal(subject=person, plaintext="Ada", context=CONTEXT, keys=ring)
        opened = open_sealed(subject=person, blob=blob, context=CONTEXT, keys=ring)

    assert opened == "Ada"
    assert queries.captured_queries == []


# --- data sealed earlier keeps opening -------------------------------------------------------


def test_a_value_sealed_by_this_release_opens_after_an_upgrade(settings, tmp_path: Path) -> None:
    # given the store's master key file holding the keyset that value was sealed under
    document = json.loads(Path(settings.LOOKOUT_MASTER_KEY_FILE).read_text())
    document["wrap"] = json.dumps(GOLDEN_WRAP)
    path = tmp_path / "master-keyset.json"
    path.write_text(json.dumps(document))
    settings.LOOKOUT_MASTER_KEY_FILE = path
    # and the person's data key as it was stored
    DataKey.objects.create(
        subject=GOLDEN_SUBJECT,
        kind=DataKey.Kind.CUSTOMER,
        wrapped=GOLDEN_WRAPPED,
        master_key_id=GOLDEN_MASTER_KEY_ID,
    )

    # then the value opens, and the key check finds the key sound
    assert open_sealed(subject=GOLDEN_SUBJECT, blob=GOLDEN_BLOB, context=CONTEXT) == (
        "Ada Lovelace"
    )
    assert verify_data_keys() == KeyCheck(checked=1, failed=())


# --- rotation: re-wrapping -------------------------------------------------------------------


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.usefixtures("own_master_keys")
def test_a_rewrap_keeps_data_readable_and_moves_each_key_once() -> None:
    # given a person's key under the first master key, and a rotation
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)
    before = DataKey.objects.get(subject=person)
    second = rotation.rotate_master_key()

    # when one run re-wraps it
    with freeze_time(T0):
        assert rewrap(DataKey.objects.get(subject=person)) is True

    # then it is under the new primary, wrapped anew, dated, and the value still opens
    after = DataKey.objects.get(subject=person)
    assert after.master_key_id == second != before.master_key_id
    assert bytes(after.wrapped) != bytes(before.wrapped)
    assert after.rewrapped_at == T0
    assert open_sealed(subject=person, blob=blob, context=CONTEXT) == "Ada Lovelace"

    # when a second run, which read the key before the first one moved it, re-wraps it too,
    # or a run meets a key already under the primary
    with freeze_time(T0 + timedelta(hours=1)):
        assert rewrap(before) is False
        assert rewrap(after) is False

    # then neither touches it again
    again = DataKey.objects.get(subject=person)
    assert bytes(again.wrapped) == bytes(after.wrapped)
    assert (again.master_key_id, again.rewrapped_at) == (second, T0)


@pytest.mark.usefixtures("own_master_keys")
def test_after_a_rotation_the_master_keys_age_counts_from_the_rewrap() -> None:
    from lookout.compliance.selfaudit import data_checks

    # given a key wrapped more than a year ago
    with freeze_time(T0):
        new_subject(kind=DataKey.Kind.CUSTOMER)

    # when the master key is rotated and every key re-wrapped, long after
    with freeze_time(T0 + timedelta(days=400)):
        rotation.rotate_master_key()
        assert rotation.rewrap_all() == 1
        result = data_checks.keys()

    # then the self-audit sees a master key in use since the re-wrap, not a year-old one
    assert result.evidence["age_days"] == 0
    assert result.ok


# --- the key check ---------------------------------------------------------------------------


def test_the_key_check_counts_every_key_and_names_exactly_those_that_do_not_unwrap() -> None:
    sound = [new_subject(kind=DataKey.Kind.CUSTOMER) for _ in range(3)]
    damaged = new_subject(kind=DataKey.Kind.CUSTOMER)
    swapped = new_subject(kind=DataKey.Kind.GUEST)
    DataKey.objects.filter(subject=damaged).update(wrapped=b"\x00" * 40)
    # a sound key copied into another person's row is bound to its own person
    wrapped = bytes(DataKey.objects.get(subject=sound[0]).wrapped)
    DataKey.objects.filter(subject=swapped).update(wrapped=wrapped)

    found = verify_data_keys()

    assert found == KeyCheck(checked=5, failed=tuple(sorted([damaged, swapped])))


def test_the_key_check_reads_the_key_store_in_batches_not_key_by_key() -> None:
    for _ in range(3):
        new_subject(kind=DataKey.Kind.CUSTOMER)
    with CaptureQueriesContext(connections[KEYSTORE]) as few:
        assert verify_data_keys().checked == 3

    for _ in range(10):
        new_subject(kind=DataKey.Kind.CUSTOMER)
    with CaptureQueriesContext(connections[KEYSTORE]) as more:
        assert verify_data_keys().checked == 13

    assert len(more.captured_queries) == len(few.captured_queries)
