"""`reveal`: the only way plaintext personal data leaves the vault (C3.1, C4.3, C4.4).

It checks the role x field x purpose matrix for every field asked for, writes the audit entry
(granted or refused) in the same transaction, and only then decrypts. A refusal raises
`AccessDenied` after the refusal is on the audit log, and nothing is decrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from lookout.access.masks import mask
from lookout.access.matrix import SELF, SYSTEM, Level, level_for
from lookout.core.errors import Forbidden
from lookout.core.inventory import declaration
from lookout.core.purposes import Purpose
from lookout.vault.fields import EncryptedField

if TYPE_CHECKING:
    from lookout.accounts.models import User


class AccessDenied(Forbidden):
    """The reader may not see these fields for this purpose. The refusal is audited."""

    def __init__(self, fields: Sequence[str], purpose: Purpose | str):
        super().__init__("You do not have access to this personal data for this purpose.")
        self.fields = list(fields)
        self.purpose = purpose


# C3.8: a purpose outside the fixed list is refused unless a registered check says the person
# consented to exactly that purpose (lookout.marketing registers one); then only the store itself
# (SYSTEM) or the person (SELF) may read, never a staff role.
ConsentCheck = Callable[[Any, str], bool]
_consent_checks: list[ConsentCheck] = []


def register_consent_check(check: ConsentCheck) -> None:
    if check not in _consent_checks:
        _consent_checks.append(check)


def _level(reader: str, key: str, purpose: Purpose | str, subject: Any) -> Level | None:
    if purpose in Purpose.values:
        return level_for(reader, key, Purpose(purpose))
    consented = any(check(subject, str(purpose)) for check in _consent_checks)
    return Level.FULL if consented and reader in (SYSTEM, SELF) else None


def field_key(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


def reader_for(actor: User | None, subject: Any) -> str:
    """Which column of the matrix applies: the person themself, the system, or a staff role."""
    if actor is None:
        return SYSTEM
    if not actor.is_authenticated or not actor.is_active:
        return "anonymous"
    if actor.subject == subject:
        return SELF  # staff reading their own account are the person, not the role
    if actor.role:
        return str(actor.role)
    return "customer"


def _subject_of(obj: models.Model, fields: dict[str, EncryptedField]) -> Any:
    subject_fields = {f.subject_field for f in fields.values()}
    if len(subject_fields) != 1:
        raise ValueError("reveal() reads fields of one person at a time.")
    return getattr(obj, subject_fields.pop())


def _encrypted(model: type[models.Model], names: Sequence[str]) -> dict[str, EncryptedField]:
    found: dict[str, EncryptedField] = {}
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, EncryptedField):
            raise ValueError(f"{field_key(model, name)} is not a personal (encrypted) field.")
        found[name] = field
    return found


def reveal(
    obj: models.Model,
    fields: Sequence[str],
    *,
    purpose: Purpose | str,
    actor: User | None,
) -> dict[str, str | None]:
    """Plaintext (or masked) values of `fields` of `obj`, for `purpose`, read by `actor`."""
    from lookout.audit.services import record

    model = obj._meta.concrete_model or type(obj)  # works through lazy proxies (request.user)
    encrypted = _encrypted(model, fields)
    subject = _subject_of(obj, encrypted)
    reader = reader_for(actor, subject)
    keys = {name: field_key(model, name) for name in fields}
    levels = {name: _level(reader, keys[name], purpose, subject) for name in fields}
    refused = [keys[n] for n, level in levels.items() if level is None]
    target = f"{model._meta.label}:{obj.pk}"
    audited_actor = actor if actor is not None and actor.is_authenticated else None

    if refused:
        with transaction.atomic():
            record(
                actor=audited_actor,
                action="reveal.refused",
                subject=subject,
                fields=refused,
                purpose=str(purpose),
                outcome="refused",
                target=target,
                detail={"reader": reader},
            )
        raise AccessDenied(refused, purpose)

    masked = sorted(keys[n] for n, level in levels.items() if level == Level.MASKED)
    with transaction.atomic():
        record(
            actor=audited_actor,
            action="reveal",
            subject=subject,
            fields=[keys[n] for n in fields],
            purpose=str(purpose),
            outcome="granted",
            target=target,
            detail={"reader": reader, "masked": ",".join(masked)},
        )
    values: dict[str, str | None] = {}
    for name, field in encrypted.items():
        plaintext = field.open(obj)
        if levels[name] == Level.MASKED:
            plaintext = mask(declaration(model, name).category, plaintext)
        values[name] = plaintext
    return values
