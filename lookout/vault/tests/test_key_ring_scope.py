"""A unit of work that seals several values of one person fetches and unwraps their key once,
and never keeps it, nor reads with it, once the key is destroyed or the work is over."""

from __future__ import annotations

import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from lookout.vault.crypto import (
    KeyDestroyed,
    _active_ring,
    destroy_data_key,
    key_ring,
    new_subject,
    open_sealed,
    seal,
)
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])


def _key_reads(queries: CaptureQueriesContext) -> int:
    return sum(
        1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    )


def test_sealing_many_values_in_one_unit_of_work_reads_the_key_once() -> None:
    # given a person with a data key
    subject = new_subject(kind=DataKey.Kind.GUEST)
    # when five values are sealed and opened within one unit of work
    with CaptureQueriesContext(connections[KEYSTORE]) as inside, key_ring():
        blobs = [seal(subject=subject, plaintext=f"v{n}", context=b"t.c.1") for n in range(5)]
        opened = [open_sealed(subject=subject, blob=b, context=b"t.c.1") for b in blobs]
    # then the key store was read once, and every value round-trips
    assert _key_reads(inside) == 1
    assert opened == [f"v{n}" for n in range(5)]
    # and outside a unit of work each seal reads the key again, as before
    with CaptureQueriesContext(connections[KEYSTORE]) as outside:
        for n in range(3):
            seal(subject=subject, plaintext=f"w{n}", context=b"t.c.1")
    assert _key_reads(outside) == 3


def test_a_key_made_in_the_unit_of_work_is_used_without_reading_it_back() -> None:
    with key_ring(), CaptureQueriesContext(connections[KEYSTORE]) as queries:
        subject = new_subject(kind=DataKey.Kind.GUEST)
        blob = seal(subject=subject, plaintext="fresh", context=b"t.c.2")
    assert _key_reads(queries) == 0
    assert open_sealed(subject=subject, blob=blob, context=b"t.c.2") == "fresh"


@pytest.mark.commitment("C6.4")
def test_a_key_destroyed_during_the_unit_of_work_reads_nothing_more() -> None:
    subject = new_subject(kind=DataKey.Kind.GUEST)
    with key_ring():
        blob = seal(subject=subject, plaintext="soon gone", context=b"t.c.3")
        destroy_data_key(subject=subject)
        with pytest.raises(KeyDestroyed):
            open_sealed(subject=subject, blob=blob, context=b"t.c.3")


@pytest.mark.commitment("C6.4")
def test_nested_units_share_one_ring_and_nothing_is_kept_afterwards() -> None:
    subject = new_subject(kind=DataKey.Kind.GUEST)
    with key_ring() as outer:
        with key_ring() as inner:
            seal(subject=subject, plaintext="x", context=b"t.c.4")
        assert inner is outer
        assert subject in outer._aeads
    # the unwrapped key is dropped and no ring is active any more
    assert outer._aeads == {} and _active_ring.get() is None
    # a stranger's subject still raises as ever
    with key_ring(), pytest.raises(KeyDestroyed):
        seal(subject=uuid.uuid4(), plaintext="x", context=b"t.c.5")


@pytest.mark.commitment("C6.4")
def test_the_gate_reads_through_the_unit_of_work_and_not_after_an_erasure() -> None:
    """`reveal` inside a unit of work (checkout discloses the name it just sealed) uses the
    unit's ring: no key-store read; and once the key is destroyed it reveals nothing."""
    from lookout.access import reveal
    from lookout.core.purposes import Purpose
    from lookout.inbox.models import Message
    from lookout.inbox.services import send_message
    from lookout.vault.crypto import KeyDestroyed

    with key_ring():
        subject = new_subject(kind=DataKey.Kind.GUEST)
        message = send_message(subject=subject, kind="account", title="Hello", body="Private")
        assert message is not None
        row = Message.objects.get(pk=message.pk)  # as stored: sealed
        with CaptureQueriesContext(connections[KEYSTORE]) as queries:
            shown = reveal(row, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
        assert shown == {"title": "Hello", "body": "Private"}
        assert _key_reads(queries) == 0
        # when the person's key is destroyed within the same unit of work
        destroy_data_key(subject=subject)
        # then the gate cannot read the value any more
        with pytest.raises(KeyDestroyed):
            reveal(row, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
