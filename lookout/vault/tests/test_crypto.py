from __future__ import annotations

import pytest
from django.db import connections

from lookout.access import reveal
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.vault.crypto import (
    KeyDestroyed,
    Sealed,
    TamperedCiphertext,
    destroy_data_key,
    open_sealed,
)
from lookout.vault.fields import EncryptedField, sealed_bytes
from lookout.vault.models import DataKey

ANN = "ann.sample@example.com"
BEN = "ben.sample@example.com"


def _own(user: User, field: str = "email") -> str | None:
    return reveal(user, [field], purpose=Purpose.SELF_SERVICE, actor=user)[field]


def _all_rows_text(alias: str) -> str:
    """Every value of every table of one database, as text and raw bytes, through a raw cursor."""
    connection = connections[alias]
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        chunks.append(bytes(value).decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\n".join(chunks)


@pytest.mark.django_db
def test_personal_values_load_sealed_and_print_masked() -> None:
    user = create_account(email=ANN, password="a-long-passphrase-1")
    assert isinstance(user.email, Sealed)
    loaded = User.objects.get(pk=user.pk)
    assert isinstance(loaded.email, Sealed)
    assert str(loaded.email) == "•••"
    assert ANN not in repr(loaded.email)
    assert _own(loaded) == ANN


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_no_table_in_either_database_holds_an_email_in_plaintext() -> None:
    # Given two people with accounts and a second factor secret
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    ann.totp_secret = "JBSWY3DPEHPK3PXP"
    ann.save()
    create_account(email=BEN, password="another-long-pass-2")
    # When we read every row of every table, raw
    everything = _all_rows_text("default") + _all_rows_text("keystore")
    # Then no personal value is there in plaintext
    for secret in (ANN, BEN, "ann.sample", "JBSWY3DPEHPK3PXP"):
        assert secret not in everything
        assert secret.encode().hex() not in everything


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_email_lookup_by_blind_index_is_exact_and_normalised() -> None:
    user = create_account(email=ANN, password="a-long-passphrase-1")
    assert User.objects.get_by_natural_key(f"  {ANN.upper()} ").pk == user.pk
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("ann.sample@example.org")


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_ciphertext_swapped_between_rows_fails_to_decrypt() -> None:
    # Given one person with two inbox messages: both sealed under the same data key, so only
    # the associated data (table, column, row) tells the two ciphertexts apart
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    first = send_message(subject=ann.subject, kind="account", title="First", body="one")
    second = send_message(subject=ann.subject, kind="account", title="Second", body="two")
    assert first is not None and second is not None
    # When someone with database access copies the first title's ciphertext into the second row
    (blob,) = Message.objects.filter(pk=first.pk).values_list(sealed_bytes("title"), flat=True)
    Message.objects.filter(pk=second.pk).update(title=Sealed(bytes(blob)))
    # Then the bytes are sound and the key is right (they open with the first row's context)...
    title = Message._meta.get_field("title")
    assert isinstance(title, EncryptedField)
    assert open_sealed(subject=ann.subject, blob=bytes(blob), context=title.context(first)) == (
        "First"
    )
    # ...yet in the second row they do not open: the row id is bound in as associated data
    moved = Message.objects.get(pk=second.pk)
    with pytest.raises(TamperedCiphertext, match="table, column and row"):
        reveal(moved, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_ciphertext_copied_into_another_persons_row_does_not_open_under_their_key() -> None:
    # Given two people, each with their own data key
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    ben = create_account(email=BEN, password="another-long-pass-2")
    (blob,) = User.objects.filter(pk=ann.pk).values_list(sealed_bytes("email"), flat=True)
    email = User._meta.get_field("email")
    assert isinstance(email, EncryptedField)
    # Then Ann's bytes do not open under Ben's key even with Ann's own row as associated data:
    # a copy into Ben's row fails on the key before the row binding is even reached
    with pytest.raises(TamperedCiphertext):
        open_sealed(subject=ben.subject, blob=bytes(blob), context=email.context(ann))
    User.objects.filter(pk=ben.pk).update(email=Sealed(bytes(blob)))
    with pytest.raises(TamperedCiphertext):
        _own(User.objects.get(pk=ben.pk))


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_ciphertext_moved_to_another_column_of_the_same_row_fails() -> None:
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    ann = User.objects.get(pk=ann.pk)
    # Move the email ciphertext into the TOTP column of the same row (same data key)
    User.objects.filter(pk=ann.pk).update(totp_secret=ann.email)
    ann = User.objects.get(pk=ann.pk)
    with pytest.raises(TamperedCiphertext):
        reveal(ann, ["totp_secret"], purpose=Purpose.ACCOUNT_SECURITY, actor=ann)


@pytest.mark.commitment("C4.2", "C6.4")
@pytest.mark.django_db
def test_destroying_the_data_key_makes_every_value_unreadable() -> None:
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    ben = create_account(email=BEN, password="another-long-pass-2")
    assert destroy_data_key(subject=ann.subject)
    assert not DataKey.objects.filter(subject=ann.subject).exists()
    ann = User.objects.get(pk=ann.pk)
    with pytest.raises(KeyDestroyed):
        _own(ann)
    assert _own(User.objects.get(pk=ben.pk)) == BEN


@pytest.mark.django_db
def test_plaintext_cannot_be_written_by_bulk_update_or_used_in_lookups() -> None:
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    with pytest.raises(TypeError):
        User.objects.filter(pk=ann.pk).update(email="plain@example.com")
    with pytest.raises(TypeError):
        list(User.objects.filter(email=ANN))


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_data_keys_live_in_the_key_store_not_the_main_database() -> None:
    create_account(email=ANN, password="a-long-passphrase-1")
    main_tables = connections["default"].introspection.table_names()
    assert "vault_datakey" not in main_tables
    assert DataKey.objects.using("keystore").count() == 1
