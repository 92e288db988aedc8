"""The encrypted model field (C4.2), as its users meet it.

What a row holds is ciphertext under its person's data key, found through the row's subject
column; plaintext goes in only through `save()` (a bulk update or a lookup with it is refused);
a dump of the table shows a mask; `makemigrations` writes the subject column and not the
`editable` flag; and `manage.py check` refuses a model whose row id is not known before the
insert. The throwaway models here are declared inside each test (in an isolated app registry),
so every field is built while the test runs.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.migrations.writer import MigrationWriter
from django.forms import modelform_factory
from django.test.utils import isolate_apps

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.vault.crypto import Sealed, new_subject, open_sealed
from lookout.vault.fields import EncryptedField, encrypted_fields, sealed_bytes
from lookout.vault.models import DataKey

REFUSED = (
    "Encrypted fields take plaintext only through save(); "
    "bulk updates and lookups on them are refused."
)
NEEDS_UUID_PK = (
    "A model with encrypted fields needs a UUID primary key with a default, "
    "so the row id is known when the value is sealed."
)
MASK = "•••"


def _model(name: str, fields: dict[str, models.Field]) -> Any:
    """A throwaway model of the inbox app (main database), registered nowhere but here."""
    meta = type("Meta", (), {"app_label": "inbox", "db_table": f"inbox_test_{name.lower()}"})
    attrs: dict[str, Any] = {"__module__": __name__, "Meta": meta, **fields}
    attrs["__str__"] = lambda self: f"{name} {self.pk}"
    with isolate_apps("lookout.inbox"):
        return type(name, (models.Model,), attrs)


def _with_table(model: Any) -> Any:
    """Its table, created inside the test's transaction: the rollback at the end removes it.
    (The schema editor only writes the statement: SQLite's cannot be entered in a transaction.)"""
    sql, params = connection.schema_editor().table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return model


def _stored_bytes(model: Any, pk: uuid.UUID, column: str) -> bytes:
    (blob,) = model._default_manager.filter(pk=pk).values_list(sealed_bytes(column), flat=True)
    return bytes(blob)


def _message(subject: uuid.UUID, title: str, body: str) -> Message:
    sent = send_message(subject=subject, kind="account", title=title, body=body, announce=False)
    assert sent is not None
    return Message.objects.get(pk=sent.pk)


# --- sealing under the row's person --------------------------------------------------------


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_by_default_a_value_is_sealed_under_the_key_of_the_rows_subject_column() -> None:
    # Given a model whose encrypted field names no subject column, and a person with a key
    note_model = _with_table(
        _model(
            "DefaultSubjectNote",
            {
                "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
                "subject": models.UUIDField(),
                "text": EncryptedField(),
            },
        )
    )
    person = new_subject(kind=DataKey.Kind.GUEST)
    # When a row about that person is saved with a plaintext value
    note = note_model(subject=person, text="left at the back door")
    note.save()
    # Then the attribute is sealed, and the stored bytes open under the key of the person in
    # the `subject` column, bound to this table, column and row
    assert isinstance(note.text, Sealed)
    text = note_model._meta.get_field("text")
    stored = _stored_bytes(note_model, note.pk, "text")
    assert b"left at the back door" not in stored
    assert (
        open_sealed(subject=person, blob=stored, context=text.context(note))
        == "left at the back door"
    )


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_value_is_sealed_under_the_key_of_the_subject_column_the_field_names() -> None:
    # Given a model whose person is in an `owner` column, and that person with a key
    parcel_model = _with_table(
        _model(
            "OwnedParcel",
            {
                "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
                "owner": models.UUIDField(),
                "label": EncryptedField(subject_field="owner"),
            },
        )
    )
    owner = new_subject(kind=DataKey.Kind.CUSTOMER)
    # When a row is saved with a plaintext value
    parcel = parcel_model(owner=owner, label="Ann Example, 1 Example Road")
    parcel.save()
    # Then it is stored sealed under the owner's key
    label = parcel_model._meta.get_field("label")
    stored = _stored_bytes(parcel_model, parcel.pk, "label")
    assert open_sealed(subject=owner, blob=stored, context=label.context(parcel)) == (
        "Ann Example, 1 Example Road"
    )


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_row_without_a_subject_is_refused_naming_its_model_and_nothing_is_written() -> None:
    # Given an inbox message that names no person
    message = Message(kind="account", title="Your order", body="shipped")
    # When it is saved (in a transaction of its own, which the refusal rolls back)
    with pytest.raises(ValueError) as refused, transaction.atomic():
        message.save()
    # Then the save is refused with a reason that names the model, and no row exists
    assert str(refused.value) == "Message has no subject to seal its data under."
    assert not Message.objects.filter(pk=message.pk).exists()


# --- what goes to the database --------------------------------------------------------------


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_bulk_update_with_plaintext_is_refused_and_writes_nothing() -> None:
    # Given a saved message
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    message = _message(person, "Your order", "has shipped")
    before = _stored_bytes(Message, message.pk, "title")
    # When a bulk update tries to write plaintext into an encrypted column (in a transaction
    # of its own, which the refusal rolls back)
    with pytest.raises(TypeError) as refused, transaction.atomic():
        Message.objects.filter(pk=message.pk).update(title="plain title")
    # Then it is refused, saying why, and the row still holds its own sealed title
    assert str(refused.value) == REFUSED
    assert _stored_bytes(Message, message.pk, "title") == before
    opened = reveal(
        Message.objects.get(pk=message.pk), ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None
    )
    assert opened["title"] == "Your order"


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_lookup_by_plaintext_is_refused() -> None:
    # Given a saved message
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    _message(person, "Your order", "has shipped")
    # When someone looks rows up by a plaintext value of an encrypted column
    with pytest.raises(TypeError) as refused:
        list(Message.objects.filter(title="Your order"))
    # Then the query is refused, saying why (it would otherwise compare plaintext in SQL)
    assert str(refused.value) == REFUSED


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_sealed_value_is_written_and_looked_up_as_its_ciphertext_and_none_as_null() -> None:
    # Given two saved messages of one person
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    first = _message(person, "First", "one")
    second = _message(person, "Second", "two")
    body = _stored_bytes(Message, first.pk, "body")
    # When the second row's body is set to the first one's sealed body by a bulk update
    Message.objects.filter(pk=second.pk).update(body=Sealed(body))
    # Then the column holds exactly the ciphertext's bytes, and a lookup by a sealed value
    # finds the rows holding that ciphertext and no other
    assert _stored_bytes(Message, second.pk, "body") == body
    found = Message.objects.filter(title=first.title).values_list("pk", flat=True)
    assert list(found) == [first.pk]
    # Given a model with an optional encrypted field and a row with a value
    memo_model = _with_table(
        _model(
            "ClearedMemo",
            {
                "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
                "subject": models.UUIDField(),
                "text": EncryptedField(subject_field="subject", null=True),
            },
        )
    )
    memo = memo_model(subject=person, text="gate code 1234")
    memo.save()
    # When a bulk update clears the value, then the column holds NULL
    memo_model._default_manager.filter(pk=memo.pk).update(text=None)
    assert memo_model._default_manager.get(pk=memo.pk).text is None
    assert memo_model._default_manager.filter(text__isnull=True).count() == 1


# --- what leaves as text -------------------------------------------------------------------


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_dump_of_the_table_shows_each_sealed_value_as_a_mask() -> None:
    # Given a saved message
    person = new_subject(kind=DataKey.Kind.CUSTOMER)
    message = _message(person, "Your parcel for 1 Example Road", "left with the neighbour")
    blob = _stored_bytes(Message, message.pk, "title")
    # When the table is dumped (manage.py dumpdata)
    out = io.StringIO()
    call_command("dumpdata", "inbox.Message", "--pks", str(message.pk), stdout=out)
    dumped = out.getvalue()
    # Then each encrypted value is shown as the mask: neither its plaintext nor its ciphertext
    (row,) = json.loads(dumped)
    assert row["fields"]["title"] == MASK
    assert row["fields"]["body"] == MASK
    for secret in ("Example Road", "neighbour"):
        assert secret not in dumped
    assert base64.b64encode(blob).decode() not in dumped
    assert blob.hex() not in dumped


# --- forms, migrations and the system check ------------------------------------------------


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
def test_an_encrypted_field_is_left_off_model_forms_unless_the_model_asks() -> None:
    # Given a model with an encrypted field built with Django's defaults, and one whose field
    # is declared editable with a verbose name given as the first argument
    plain = _model(
        "FormlessNote",
        {
            "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
            "subject": models.UUIDField(),
            "text": EncryptedField(),
        },
    )
    editable = _model(
        "EditableNote",
        {
            "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
            "subject": models.UUIDField(),
            "text": EncryptedField("Delivery note", editable=True),
        },
    )
    # When model forms are built for all their fields
    # Then the default field is on no form, and naming it is refused
    assert "text" not in modelform_factory(plain, fields="__all__").base_fields
    with pytest.raises(FieldError, match="non-editable field"):
        modelform_factory(plain, fields=["text"])
    # ...and the field declared editable is on the form, labelled with its verbose name
    form_field = modelform_factory(editable, fields="__all__").base_fields["text"]
    assert form_field.label == "Delivery note"


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
def test_a_migration_keeps_the_subject_column_and_rebuilds_an_equal_non_editable_field() -> None:
    # Given encrypted fields with a subject column and Django options of their own
    field = EncryptedField("Delivery note", subject_field="owner", null=True)
    # When makemigrations writes the field and a migration rebuilds it
    name, path, args, kwargs = field.deconstruct()
    written, _ = MigrationWriter.serialize(field)
    rebuilt = EncryptedField(*args, **kwargs)
    # Then the migration names the subject column, and the rebuilt field is the same field:
    # same subject column, same options, not editable
    assert path == "lookout.vault.fields.EncryptedField"
    assert "subject_field='owner'" in written
    assert rebuilt.subject_field == "owner"
    assert rebuilt.null is True
    assert rebuilt.verbose_name == "Delivery note"
    assert rebuilt.editable is False
    assert rebuilt.deconstruct() == (name, path, args, kwargs)


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
def test_making_a_field_editable_writes_no_migration() -> None:
    # Given the same encrypted field declared with and without editable=True
    default = EncryptedField(subject_field="owner")
    editable = EncryptedField(subject_field="owner", editable=True)
    # When makemigrations writes each
    # Then it writes the same thing, and never the editable flag: forms are not the schema
    assert editable.deconstruct() == default.deconstruct()
    assert "editable" not in editable.deconstruct()[3]
    assert "editable" not in MigrationWriter.serialize(editable)[0]


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
def test_the_system_check_accepts_a_model_with_a_uuid_primary_key_with_a_default() -> None:
    # Given a model with encrypted fields whose row id is a UUID made before the insert
    sound = _model(
        "SoundRecord",
        {
            "id": models.UUIDField(primary_key=True, default=uuid.uuid4),
            "subject": models.UUIDField(),
            "text": EncryptedField(),
            "note": EncryptedField(null=True),
        },
    )
    # When the system check runs on it, then it reports nothing
    assert sound.check() == []


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
@pytest.mark.parametrize(
    ("name", "pk"),
    [
        ("AutoKeyRecord", None),  # Django's auto-increment id: known only after the insert
        ("UndefaultedUuidRecord", models.UUIDField(primary_key=True)),
        ("CharKeyRecord", models.CharField(primary_key=True, max_length=36, default="x")),
    ],
)
def test_the_system_check_refuses_a_model_whose_row_id_is_not_a_uuid_with_a_default(
    name: str, pk: models.Field | None
) -> None:
    # Given a model with an encrypted field whose primary key is not a UUID with a default
    fields: dict[str, models.Field] = {"subject": models.UUIDField(), "text": EncryptedField()}
    if pk is not None:
        fields["id"] = pk.clone()
    record = _model(name, fields)
    # When the system check runs on it
    errors = record.check()
    # Then it reports one error, vault.E001, on the encrypted field, saying what is needed
    assert len(errors) == 1
    (error,) = errors
    assert isinstance(error, checks.Error)
    assert error.id == "vault.E001"
    assert error.msg == NEEDS_UUID_PK
    assert error.obj is record._meta.get_field("text")
    assert str(error) == f"inbox.{name}.text: (vault.E001) {NEEDS_UUID_PK}"


@pytest.mark.commitment("C4.2")
@pytest.mark.database_independent
def test_every_model_of_the_project_with_encrypted_fields_passes_the_check() -> None:
    # Given the project's own models with encrypted fields
    from django.apps import apps

    sealed = [m for m in apps.get_models() if encrypted_fields(m)]
    assert Message in sealed
    # When the system check runs on each, then none reports vault.E001
    for model in sealed:
        assert [e for e in model.check() if e.id == "vault.E001"] == [], model
