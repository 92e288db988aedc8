"""Registering partners, recording their agreements, and `disclose` (C5.1 to C5.5).

`disclose` is the only way personal data leaves the store for a partner. It checks the partner
(active, one of the three kinds, an agreement in force today, a purpose that partner's job
needs), picks from the record only the encrypted fields whose declared category is on that
kind's allowlist, reads them through `lookout.access.reveal` as the system, and writes the
ledger row and the audit entry in the same transaction as the read.

Refusals are written to the audit log in their own transaction before the exception is raised.
A caller that runs `disclose` inside a transaction of its own and lets the exception roll that
transaction back also rolls back the refusal entry: catch `DisclosureRefused` inside, or call
`disclose` outside, to keep it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from lookout.access.matrix import SYSTEM, level_for
from lookout.core.inventory import declaration
from lookout.core.logging import mask_text
from lookout.core.purposes import Purpose
from lookout.core.rows import insert, read
from lookout.sharing import allowlist
from lookout.sharing.errors import (
    DisclosureRefused,
    NoValidAgreement,
    PartnerExists,
    PartnerRefused,
)
from lookout.sharing.models import DataAgreement, Disclosure, Partner, PartnerKind
from lookout.sharing.selectors import (
    PARTNER_FIELDS,
    active_partner,
    disclosures_for,
    today,
    why_no_agreement,
)
from lookout.vault.fields import encrypted_fields

if TYPE_CHECKING:
    from lookout.accounts.models import User

__all__ = [
    "DisclosureRefused",
    "NoValidAgreement",
    "PartnerExists",
    "PartnerRefused",
    "active_partner",
    "disclose",
    "disclose_to_active",
    "disclosures_for",
    "record_agreement",
    "register_partner",
]

KINDS_SENTENCE = (
    "Lookout shares personal data only with a logistics carrier (carrier), a payment processor "
    "(payment_processor) or a dispute-resolution vendor (dispute_resolution); never with "
    "advertisers, data brokers, competitors or anyone else."
)


# --- partners and agreements ------------------------------------------------------------------


def _clean_text(value: object, *, what: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PartnerRefused(f"Give the {what}.")
    text = " ".join(value.split())
    if len(text) > max_length:
        raise PartnerRefused(f"The {what} is too long: at most {max_length} characters.")
    if mask_text(text) != text:
        raise PartnerRefused(
            f"The {what} looks like personal data (an email, phone or card number); "
            "write a company name or a document reference."
        )
    return text


@transaction.atomic
def register_partner(*, name: str, kind: str, actor: User | None) -> Partner:
    """Register a company that may receive personal data once it has signed an agreement (C5.1).

    Any kind other than the three in `PartnerKind` is refused (C5.5); so is a second partner
    with the same name (case ignored). Nothing is written on refusal.
    """
    from lookout.audit.services import record

    clean_kind = kind.strip().lower() if isinstance(kind, str) else ""
    if clean_kind not in PartnerKind.values:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "that"
        raise PartnerRefused(f"{shown!r} is not a kind of partner. {KINDS_SENTENCE}")
    clean_name = _clean_text(name, what="partner's name", max_length=100)
    if Partner.objects.filter(name__iexact=clean_name).exists():
        raise PartnerExists(f"A partner named {clean_name!r} is already registered.")
    try:
        with transaction.atomic():
            partner = Partner.objects.create(name=clean_name, kind=clean_kind)
    except IntegrityError as exc:  # registered by someone else a moment ago
        raise PartnerExists(f"A partner named {clean_name!r} is already registered.") from exc
    record(
        actor=actor,
        action="partner.registered",
        target=partner,
        detail={"kind": partner.kind},
    )
    return partner


def _day(value: object, *, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise PartnerRefused(f"The {what} must be a calendar date (YYYY-MM-DD).")
    return value


@transaction.atomic
def record_agreement(
    *,
    partner: Partner,
    signed_on: date,
    expires_on: date,
    document_reference: str,
    actor: User | None,
) -> DataAgreement:
    """Put a signed data agreement on record (C5.2).

    It is in force from `signed_on` up to the day before `expires_on`. A future signing date is
    accepted (the agreement waits); an expiry on or before the signing date is refused.
    """
    from lookout.audit.services import record

    signed = _day(signed_on, what="signing date")
    expires = _day(expires_on, what="expiry date")
    if expires <= signed:
        raise PartnerRefused(
            f"The agreement must expire after it is signed: {expires:%Y-%m-%d} is not after "
            f"{signed:%Y-%m-%d}."
        )
    reference = _clean_text(document_reference, what="document reference", max_length=200)
    if partner.pk is None or not Partner.objects.filter(pk=partner.pk).exists():
        raise PartnerRefused("Register the partner before recording its agreement.")
    agreement = DataAgreement.objects.create(
        partner=partner, signed_on=signed, expires_on=expires, document_reference=reference
    )
    record(
        actor=actor,
        action="partner.agreement_recorded",
        target=partner,
        detail={
            "agreement": str(agreement.pk),
            "signed_on": signed.isoformat(),
            "expires_on": expires.isoformat(),
        },
    )
    return agreement


# --- disclosure -------------------------------------------------------------------------------


def _fields_for(kind: str, model: type[models.Model]) -> dict[str, str]:
    """{field name: category} of `model`'s encrypted fields that `kind` may receive."""
    chosen: dict[str, str] = {}
    for name in encrypted_fields(model):
        category = declaration(model, name).category
        if allowlist.category_allowed(kind, category):
            chosen[name] = category
    return chosen


def _model_of(record: models.Model) -> type[models.Model]:
    """The concrete model (works through proxies and lazy objects such as request.user)."""
    return record._meta.concrete_model or type(record)


def _subject_of(record: models.Model) -> Any:
    model = _model_of(record)
    subject_fields = {f.subject_field for f in encrypted_fields(model).values()}
    if len(subject_fields) != 1:
        raise ValueError(
            f"{model._meta.label} holds no personal data of exactly one person; "
            "disclose() sends one person's record at a time."
        )
    return getattr(record, subject_fields.pop())


def _actor_ref(actor: User | None) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"
    return str(actor.subject)


def _refusal(
    partner: Partner, purpose: Purpose, chosen: dict[str, str], day: date
) -> DisclosureRefused | None:
    """Why nothing may be sent, or None. `partner` was read by `_partner_as_stored`, which
    says in `has_agreement` whether an agreement is in force on `day`."""
    kind_label = PartnerKind(partner.kind).label.lower()
    if not partner.active:
        return DisclosureRefused(f"{partner.name} is no longer an active partner.")
    if not allowlist.purpose_allowed(partner.kind, purpose):
        return DisclosureRefused(
            f"A {kind_label} does not receive personal data for {purpose.label.lower()}."
        )
    if not partner.has_agreement:  # type: ignore[attr-defined]
        return NoValidAgreement(why_no_agreement(partner=partner, on=day))
    if not chosen:
        return DisclosureRefused(f"Nothing in this record is data a {kind_label} may receive.")
    return None


# Written out (as in selectors.active_partner): the ORM's compiling of the EXISTS subquery cost
# more CPU than the query.
_AS_STORED_SQL = (
    "SELECT p.id, p.name, p.kind, p.active, p.registered_at, EXISTS (SELECT 1 FROM "
    "sharing_dataagreement AS a WHERE a.partner_id = p.id AND a.signed_on <= %s AND "
    "a.expires_on > %s) AS has_agreement FROM sharing_partner AS p WHERE p.id = %s"
)


def _partner_as_stored(partner: Partner, day: date) -> Partner | None:
    """The partner's kind and active switch as stored, not as carried by the object passed in,
    and whether an agreement is in force on `day`: one query (checkout discloses per order)."""
    pk = Partner._meta.pk.get_db_prep_value(partner.pk, connection)  # type: ignore[union-attr]
    found = read(
        Partner,
        _AS_STORED_SQL,
        [day, day, pk],
        fields=PARTNER_FIELDS,
        extra=["has_agreement"],
    )
    return found[0] if found else None


def _matrix_refuses(model: type[models.Model], names: Iterable[str], purpose: Purpose) -> bool:
    """Would the gate refuse the store itself (disclose reads as the system) these fields?

    Asked before anything is written, so a refusal needs no savepoint to undo a half-done
    disclosure; the gate still checks again when it reads."""
    return any(level_for(SYSTEM, f"{model._meta.label}.{name}", purpose) is None for name in names)


def _audit_refusal(
    *,
    actor: User | None,
    partner: Partner,
    subject: Any,
    fields: list[str],
    purpose: Purpose,
    target: models.Model,
    reason: str,
) -> None:
    from lookout.audit.services import record

    with transaction.atomic():
        record(
            actor=actor,
            action="disclosure",
            subject=subject,
            fields=fields,
            purpose=str(purpose),
            outcome="refused",
            target=target,
            detail={"partner": str(partner.pk), "kind": partner.kind, "reason": reason},
        )


def disclose(
    *,
    partner: Partner,
    record: models.Model,
    purpose: Purpose,
    actor: User | None,
) -> dict[str, str | None]:
    """Send one person's `record` to `partner` for `purpose`: the payload, ledgered and audited.

    The payload holds only `record`'s encrypted fields whose category is on the partner kind's
    allowlist (C5.3), keyed by field name; an optional field left empty is None and is not
    counted as disclosed. Raises `NoValidAgreement` (no agreement in force today, C5.2) or
    `DisclosureRefused` (inactive partner, purpose not for this kind, nothing allowed in the
    record); each refusal is audited and nothing is read or ledgered.
    """
    day = today()
    fresh = _partner_as_stored(partner, day)
    if fresh is None:
        _audit_refusal(
            actor=actor,
            partner=partner,
            subject=_subject_of(record),
            fields=[],
            purpose=Purpose(purpose),
            target=record,
            reason="unregistered",
        )
        raise DisclosureRefused("Only a registered partner may receive personal data.")
    return _disclose(fresh, day, record=record, purpose=purpose, actor=actor)


def disclose_to_active(
    *, kind: str, record: models.Model, purpose: Purpose, actor: User | None
) -> dict[str, str | None]:
    """`disclose` to the active partner of `kind` (`selectors.active_partner`), read once.

    Why: checkout discloses the cardholder name on every order. Choosing the partner and then
    re-reading it as stored were two queries; the query that chooses it already reads it as
    stored (kind, active switch, an agreement in force today), so this skips the second.
    Raises `NoValidAgreement` when no partner of `kind` may receive data today."""
    day = today()
    partner = active_partner(kind, on=day)
    # Chosen among the active partners with an agreement in force on `day`, read just now.
    partner.has_agreement = True  # type: ignore[attr-defined]
    return _disclose(partner, day, record=record, purpose=purpose, actor=actor)


def _disclose(
    fresh: Partner, day: date, *, record: models.Model, purpose: Purpose, actor: User | None
) -> dict[str, str | None]:
    """The checks, the read, the ledger row and the audit entry, for a partner read as stored
    (with `has_agreement` for `day`)."""
    from lookout.access import AccessDenied, reveal
    from lookout.audit.services import record as audit

    purpose = Purpose(purpose)
    model = _model_of(record)
    subject = _subject_of(record)
    chosen = _fields_for(fresh.kind, model)
    keys = {name: f"{model._meta.label}.{name}" for name in chosen}
    refused = _refusal(fresh, purpose, chosen, day)

    def audit_refusal(reason: str) -> None:
        _audit_refusal(
            actor=actor,
            partner=fresh,
            subject=subject,
            fields=list(keys.values()),
            purpose=purpose,
            target=record,
            reason=reason,
        )

    if refused is not None:
        audit_refusal("agreement" if isinstance(refused, NoValidAgreement) else "policy")
        raise refused
    if _matrix_refuses(model, chosen, purpose):
        # The access matrix grants the system no read of these fields for this purpose: a
        # configuration gap, refused and audited like any other refusal.
        audit_refusal("matrix")
        raise DisclosureRefused(AccessDenied(list(keys.values()), purpose).message)
    # The read, the ledger row and the audit entry commit together: in the caller's
    # transaction when there is one (checkout's), with no savepoint (nothing is left to refuse,
    # and a failure here must fail the caller's change too); otherwise in one of their own.
    with transaction.atomic(savepoint=False):
        values = reveal(record, list(chosen), purpose=purpose, actor=None)
        sent = [keys[name] for name, value in values.items() if value is not None]
        insert(
            Disclosure(
                partner=fresh,
                subject=subject,
                fields=sent,
                categories=sorted({chosen[name] for name, v in values.items() if v is not None}),
                purpose=purpose,
                at=timezone.now(),
                actor_ref=_actor_ref(actor),
                target=f"{model._meta.label}:{record.pk}",
            )
        )
        audit(
            actor=actor,
            action="disclosure",
            subject=subject,
            fields=sent,
            purpose=str(purpose),
            outcome="granted",
            target=record,
            detail={"partner": str(fresh.pk), "kind": fresh.kind},
        )
    return values
