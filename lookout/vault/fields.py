"""Model fields whose values are stored only as ciphertext (C4.2).

Assign a `str` to the attribute and save: `pre_save` seals it under the person's data key, with
the table, column and row as associated data, and replaces the attribute with a `Sealed` value.
Values loaded from the database are `Sealed` too. Neither can be printed or compared; plaintext
leaves only through `lookout.access.reveal`.

The row must know its primary key before the insert (a UUID default), since the key is part of
the associated data.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import checks
from django.db import models

from lookout.vault.crypto import Sealed, seal


class EncryptedField(models.BinaryField):
    description = "Personal data sealed under the person's data key"

    def __init__(self, *args: Any, subject_field: str = "subject", **kwargs: Any):
        self.subject_field = subject_field
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["subject_field"] = self.subject_field
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        pk = self.model._meta.pk
        if pk is None or not isinstance(pk, models.UUIDField) or not pk.has_default():
            errors.append(
                checks.Error(
                    "A model with encrypted fields needs a UUID primary key with a default, "
                    "so the row id is known when the value is sealed.",
                    obj=self,
                    id="vault.E001",
                )
            )
        return errors

    def context(self, instance: models.Model) -> bytes:
        return f"{self.model._meta.db_table}.{self.column}.{instance.pk}".encode()

    def subject_of(self, instance: models.Model) -> uuid.UUID:
        subject = getattr(instance, self.subject_field)
        if subject is None:
            raise ValueError(f"{type(instance).__name__} has no subject to seal its data under.")
        return subject

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = Sealed(
                seal(
                    subject=self.subject_of(model_instance),
                    plaintext=value,
                    context=self.context(model_instance),
                )
            )
            setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return super().get_db_prep_value(value.blob, connection, prepared)
        raise TypeError(
            "Encrypted fields take plaintext only through save(); "
            "bulk updates and lookups on them are refused."
        )

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.value_from_object(obj))


def sealed_bytes(name: str) -> models.ExpressionWrapper:
    """An encrypted column in `values_list()` as the ciphertext's bytes, not a `Sealed`.

    Why: a bulk read (an access file opens thousands of values) paid for a `Sealed` object
    and a converter call per value only for the gate to take the bytes out again; reading the
    column as plain binary cost the ORM half the time of the whole query (decision 0025). The
    bytes are still ciphertext: only the gate opens them.
    """
    return models.ExpressionWrapper(models.F(name), output_field=models.BinaryField())


def encrypted_fields(model: type[models.Model]) -> dict[str, EncryptedField]:
    return {f.name: f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)}
