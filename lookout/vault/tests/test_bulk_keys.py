"""Keys made in bulk (imports, retention's guest keys) are as durable as keys made one by one
(C4.2): a value sealed under one while it sat on the caller's ring opens later from the key
store alone, and the stored key is bound to its own person."""

from __future__ import annotations

import uuid

import pytest

from lookout.vault.crypto import (
    KeyDestroyed,
    KeyRing,
    VaultError,
    create_data_keys,
    data_key,
    destroy_data_keys,
    key_ring,
    open_sealed,
    seal,
    verify_data_keys,
)
from lookout.vault.models import DataKey

pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C4.2")]
CONTEXT = b"orders.Delivery.name:1"


def test_a_value_sealed_under_a_bulk_key_opens_later_without_the_ring():
    # given two people's keys made in one insert, used from the caller's ring
    ring = KeyRing()
    people = [uuid.uuid4(), uuid.uuid4()]
    create_data_keys(subjects=people, kind=DataKey.Kind.GUEST, keys=ring)
    blobs = [
        seal(subject=p, plaintext=f"Ann {n}", context=CONTEXT, keys=ring)
        for n, p in enumerate(people)
    ]

    # when the ring is gone: a later request reads the keys from the key store
    opened = [
        open_sealed(subject=p, blob=b, context=CONTEXT) for p, b in zip(people, blobs, strict=True)
    ]

    # then each value opens, and the key check finds every stored key sound
    assert opened == ["Ann 0", "Ann 1"]
    assert verify_data_keys().failed == ()


def test_a_bulk_key_moved_to_another_persons_row_does_not_unwrap():
    people = [uuid.uuid4(), uuid.uuid4()]
    create_data_keys(subjects=people, kind=DataKey.Kind.GUEST)
    first, second = (DataKey.objects.get(subject=p) for p in people)

    DataKey.objects.filter(pk=second.pk).update(wrapped=bytes(first.wrapped))

    with pytest.raises(VaultError, match="does not unwrap"):
        data_key(people[1])


def test_keys_destroyed_in_bulk_are_unreadable_at_once_even_from_the_ring():
    # given a person whose key is on the ring of the unit of work running now
    person = uuid.uuid4()
    create_data_keys(subjects=[person], kind=DataKey.Kind.GUEST)
    with key_ring():
        blob = seal(subject=person, plaintext="Ann", context=CONTEXT)

        # when retention shreds it in bulk
        assert destroy_data_keys(subjects=[person, person]) == 1

        # then nothing sealed under it opens, not even from the ring's memory
        with pytest.raises(KeyDestroyed):
            open_sealed(subject=person, blob=blob, context=CONTEXT)
