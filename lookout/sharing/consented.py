"""Disclosures outside the partner system, each under the person's own consent (C5.6).

The policy allows personal data to go to the three kinds of partner (`services.disclose`) and,
beyond that, only with "that person's separate consent for that instance". So a disclosure to
anyone else needs an `InstanceConsent` naming this recipient, these fields and this purpose,
given by the person (or recorded by the store for them), and it is good for ONE disclosure:
`disclose_with_consent` marks it used in the same transaction as the read, the ledger row and
the audit entry. Without such a consent nothing is read, and the refusal is audited.

The read itself goes through `lookout.access.reveal` like every other: the purpose
`INSTANCE_CONSENT` is not on the fixed list, so the gate allows it only to the store itself
(SYSTEM) and only while `has_instance_consent` finds an unused consent of that person (the check
is registered with the gate in `SharingConfig.ready`). The specific consent, its fields,
recipient and purpose are checked here first, under a row lock, so two concurrent callers cannot
both use one consent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.sharing.errors import DisclosureRefused
from lookout.sharing.models import ConsentedDisclosure, InstanceConsent
from lookout.vault.fields import EncryptedField

if TYPE_CHECKING:
    from lookout.accounts.models import User

# A purpose code outside the fixed list (C3.8): readable only under a one-time consent.
INSTANCE_CONSENT = "instance_consent"
MAX_RECIPIENT = 200
MAX_PURPOSE = 500
MAX_WORDING = 4000


class ConsentRequired(DisclosureRefused):
    """No usable consent of the person for this recipient, fields and purpose (403).

    The refusal is on the audit log (action "disclosure.consented", outcome "refused"); nothing
    was read, ledgered or marked used.
    """


class InvalidConsent(LookoutError):
    """A consent that cannot be recorded as given (400); nothing written."""


def has_instance_consent(subject: Any, purpose_code: str) -> bool:
    """The gate's consent check: the person holds an unused one-time consent."""
    if purpose_code != INSTANCE_CONSENT:
        return False
    return InstanceConsent.objects.filter(subject=subject, used_at__isnull=True).exists()


def _normal(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _text(value: object, *, what: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidConsent(f"Give the {what}.")
    text = " ".join(value.split())
    if len(text) > max_length:
        raise InvalidConsent(f"The {what} is too long: at most {max_length} characters.")
    return text


def _field_keys(fields: Sequence[str]) -> list[str]:
    """Check that each "app.Model.field" names a personal (sealed) field of some model."""
    if isinstance(fields, str) or not fields:
        raise InvalidConsent("Name the personal fields the person agrees to disclose.")
    keys: list[str] = []
    for key in fields:
        label, _, name = str(key).rpartition(".")
        try:
            field = apps.get_model(label)._meta.get_field(name)
        except (LookupError, ValueError, FieldDoesNotExist):
            field = None
        if not isinstance(field, EncryptedField):
            raise InvalidConsent(f"{key!r} is not a personal field of the store.")
        if key not in keys:
            keys.append(key)
    return keys


@transaction.atomic
def grant_instance_consent(
    *,
    subject: uuid.UUID,
    recipient_name: str,
    fields: Sequence[str],
    purpose_text: str,
    wording: str,
    actor: User | None,
) -> InstanceConsent:
    """Record that the person agreed to ONE disclosure of `fields` to `recipient_name`.

    `wording` is the text the person was shown and agreed to. Only the person themself (or the
    store recording their answer, `actor=None`) can give it: staff cannot consent for someone.
    """
    from lookout.audit.services import record

    if actor is not None and getattr(actor, "subject", None) != subject:
        raise InvalidConsent("Only the person whose data it is can consent to its disclosure.")
    try:
        subject = uuid.UUID(str(subject))
    except ValueError as exc:
        raise InvalidConsent("The consent must name the person (their subject id).") from exc
    consent = InstanceConsent.objects.create(
        subject=subject,
        recipient=_text(recipient_name, what="recipient's name", max_length=MAX_RECIPIENT),
        fields=_field_keys(fields),
        purpose_text=_text(purpose_text, what="purpose", max_length=MAX_PURPOSE),
        wording=_text(wording, what="wording shown to the person", max_length=MAX_WORDING),
    )
    record(
        actor=actor,
        action="instance_consent.granted",
        subject=subject,
        fields=consent.fields,
        purpose=INSTANCE_CONSENT,
        target=consent,
    )
    return consent


def _why_not(
    consent: InstanceConsent | None,
    *,
    subject: Any,
    keys: list[str],
    recipient_name: str,
    purpose_text: str,
) -> str | None:
    """Why `consent` does not cover this disclosure, or None when it does."""
    from lookout.access import reveal

    if consent is None or str(consent.subject) != str(subject):
        return "The person has not consented to this disclosure."
    if consent.used_at is not None:
        return "The person's consent covered one disclosure, and it was already made."
    missing = [key for key in keys if key not in consent.fields]
    if missing:
        return f"The person did not consent to disclosing {', '.join(missing)}."
    agreed = reveal(consent, ["recipient", "purpose_text"], purpose=INSTANCE_CONSENT, actor=None)
    if _normal(agreed["recipient"]) != _normal(recipient_name):
        return "The person consented to a disclosure to someone else."
    if _normal(agreed["purpose_text"]) != _normal(purpose_text):
        return "The person consented to a disclosure for another purpose."
    return None


class _Refusal(Exception):
    pass


def _actor_ref(actor: User | None) -> str:
    if actor is None:
        return "system"
    return str(actor.subject) if getattr(actor, "is_authenticated", False) else "anonymous"


def disclose_with_consent(
    *,
    recipient_name: str,
    record: models.Model,
    fields: Sequence[str],
    purpose_text: str,
    consent_id: uuid.UUID | str | None,
    actor: User | None,
) -> dict[str, str | None]:
    """Read `fields` of `record` for `recipient_name` under the person's one-time consent.

    Returns the values to hand over (a field left empty is None and not counted as disclosed).
    Raises `ConsentRequired` when `consent_id` names no unused consent of this person covering
    this recipient, every field asked for and this purpose; the refusal is audited and nothing
    is read. On success the consent is used up, the ledger row and the audit entry written.
    """
    from lookout.access import reveal
    from lookout.audit.services import record as audit
    from lookout.sharing.services import _model_of, _subject_of

    model = _model_of(record)
    subject = _subject_of(record)
    names = list(dict.fromkeys(fields))
    keys = [f"{model._meta.label}.{name}" for name in names]
    for name, key in zip(names, keys, strict=True):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, EncryptedField):
            raise ValueError(f"{key} is not a personal (encrypted) field.")
    try:
        with transaction.atomic():
            consent = _locked_consent(consent_id)
            reason = _why_not(
                consent,
                subject=subject,
                keys=keys,
                recipient_name=recipient_name,
                purpose_text=purpose_text,
            )
            if reason is not None:
                raise _Refusal(reason)
            assert consent is not None  # _why_not refuses a missing consent
            values = reveal(record, names, purpose=INSTANCE_CONSENT, actor=None)
            sent = [key for key, name in zip(keys, names, strict=True) if values[name] is not None]
            now = timezone.now()
            InstanceConsent.objects.filter(pk=consent.pk).update(used_at=now)
            ConsentedDisclosure.objects.create(
                consent=consent,
                subject=subject,
                fields=sent,
                at=now,
                actor_ref=_actor_ref(actor),
                target=f"{model._meta.label}:{record.pk}",
            )
            audit(
                actor=actor,
                action="disclosure.consented",
                subject=subject,
                fields=sent,
                purpose=INSTANCE_CONSENT,
                outcome="granted",
                target=record,
                detail={"consent": str(consent.pk)},
            )
    except _Refusal as refusal:
        with transaction.atomic():
            audit(
                actor=actor,
                action="disclosure.consented",
                subject=subject,
                fields=keys,
                purpose=INSTANCE_CONSENT,
                outcome="refused",
                target=record,
                detail={"reason": str(refusal)},
            )
        raise ConsentRequired(str(refusal)) from None
    return values


def _locked_consent(consent_id: uuid.UUID | str | None) -> InstanceConsent | None:
    if consent_id is None:
        return None
    try:
        return InstanceConsent.objects.select_for_update().filter(pk=consent_id).first()
    except (ValidationError, ValueError):
        return None  # not a UUID: no such consent


def consented_disclosures_for(subject: uuid.UUID) -> QuerySet[ConsentedDisclosure]:
    """Every disclosure this person consented to one by one, oldest first (their access file)."""
    return (
        ConsentedDisclosure.objects.filter(subject=subject)
        .select_related("consent")
        .order_by("at", "id")
    )
