"""`KeyRing.open_all`: many values of one person opened in one call with one key lookup, with
exactly the checks of `open_sealed` (C4.2, C6.4)."""

from __future__ import annotations

import pytest

from lookout.vault.crypto import (
    KeyDestroyed,
    KeyRing,
    Sealed,
    TamperedCiphertext,
    destroy_data_key,
    new_subject,
    open_sealed,
    seal,
)
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])

CONTEXT = b"inbox_message.title.0b3f6c1e-2a4d-4c55-9d0e-7f1a2b3c4d5e"


def test_open_all_opens_what_open_sealed_opens_sealed_or_bytes() -> None:
    person = new_subject(kind="customer")
    blobs = [seal(subject=person, plaintext=f"value {n} — é", context=CONTEXT) for n in range(3)]
    values: list[Sealed | bytes | str | None] = [blobs[0], Sealed(blobs[1]), blobs[2]]

    opened = KeyRing().open_all(person, values, [CONTEXT] * 3)

    assert opened == [open_sealed(subject=person, blob=blob, context=CONTEXT) for blob in blobs]
    assert opened[2] == "value 2 — é"


def test_nothing_stored_and_unsaved_plaintext_come_back_as_they_are() -> None:
    person = new_subject(kind="customer")
    blob = seal(subject=person, plaintext="Ada", context=CONTEXT)

    assert KeyRing().open_all(person, [None, "typed, not saved", blob], [CONTEXT] * 3) == [
        None,
        "typed, not saved",
        "Ada",
    ]


@pytest.mark.commitment("C4.2")
def test_open_all_refuses_another_context_another_persons_value_and_unknown_formats() -> None:
    person, other = new_subject(kind="customer"), new_subject(kind="customer")
    blob = seal(subject=person, plaintext="Ada Lovelace", context=CONTEXT)
    ring = KeyRing()

    with pytest.raises(TamperedCiphertext):
        ring.open_all(person, [blob], [CONTEXT.replace(b"title", b"body")])  # another column
    with pytest.raises(TamperedCiphertext):
        ring.open_all(other, [blob], [CONTEXT])  # another person's key
    with pytest.raises(TamperedCiphertext):
        ring.open_all(person, [b"\x02" + blob[1:]], [CONTEXT])  # unknown format
    with pytest.raises(TamperedCiphertext):
        ring.open_all(person, [blob[:20]], [CONTEXT])  # too short to hold a tag
    with pytest.raises(ValueError):
        ring.open_all(person, [blob, blob], [CONTEXT])  # a context for each value


@pytest.mark.commitment("C6.4")
def test_a_destroyed_key_opens_nothing_but_empty_columns_need_no_key() -> None:
    person = new_subject(kind="customer")
    blob = seal(subject=person, plaintext="Ada", context=CONTEXT)
    destroy_data_key(subject=person)

    assert KeyRing().open_all(person, [None, None], [CONTEXT] * 2) == [None, None]
    with pytest.raises(KeyDestroyed):
        KeyRing().open_all(person, [None, blob], [CONTEXT] * 2)
    with pytest.raises(KeyDestroyed):
        KeyRing().open_all(person, [b""], [CONTEXT])  # a blanked value: the key is asked first
