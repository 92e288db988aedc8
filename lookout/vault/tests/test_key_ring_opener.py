"""`KeyRing.opener`: many values of one person opened with one key lookup, with exactly the
checks of `open_sealed` (C4.2, C6.4)."""

from __future__ import annotations

import pytest

from lookout.vault.crypto import (
    KeyDestroyed,
    KeyRing,
    TamperedCiphertext,
    destroy_data_key,
    new_subject,
    open_sealed,
    seal,
)
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])

CONTEXT = b"inbox_message.title.0b3f6c1e-2a4d-4c55-9d0e-7f1a2b3c4d5e"


def test_an_opener_opens_what_open_sealed_opens() -> None:
    person = new_subject(kind="customer")
    blobs = [seal(subject=person, plaintext=f"value {n} — é", context=CONTEXT) for n in range(3)]

    open_one = KeyRing().opener(person)

    assert [open_one(blob, CONTEXT) for blob in blobs] == [
        open_sealed(subject=person, blob=blob, context=CONTEXT) for blob in blobs
    ]


def test_an_opener_refuses_another_context_another_persons_value_and_unknown_formats() -> None:
    person, other = new_subject(kind="customer"), new_subject(kind="customer")
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)
    open_one = KeyRing().opener(person)

    with pytest.raises(TamperedCiphertext):
        open_one(blob, CONTEXT.replace(b"title", b"body"))  # moved to another column
    with pytest.raises(TamperedCiphertext):
        KeyRing().opener(other)(blob, CONTEXT)  # another person's key
    with pytest.raises(TamperedCiphertext):
        open_one(b"\x02" + blob[1:], CONTEXT)  # unknown format
    with pytest.raises(TamperedCiphertext):
        open_one(blob[:20], CONTEXT)  # too short to hold a tag


def test_no_opener_for_a_destroyed_key() -> None:
    person = new_subject(kind="customer")
    destroy_data_key(subject=person)

    with pytest.raises(KeyDestroyed):
        KeyRing().opener(person)
