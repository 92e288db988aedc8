"""Erasure that reaches partners (issue 26, item 2): redaction requests and the certificate.

When a person is erased (`lookout.privacy.services`), `open_redactions` reads the disclosure
ledger and, for each partner that received any of their data, records one `RedactionRequest`
naming exactly the fields that partner was sent, with the partner's own references to the
records (tracking numbers, payment sessions), and one `DeletionCertificate` for the person. It
runs in the erasure's transaction, so an erasure never commits without them.

`send_due` (the task `lookout.sharing.tasks.send_redactions`, queued once the erasure commits and
run every few minutes by the scheduler) signs each request (Ed25519, `lookout.sharing.signing`)
and hands it to the channel registered for the partner's kind (`register_channel`: the carrier
in `lookout.shipping.redaction`, the payment gateway in `lookout.payments.redaction`). A partner
answers "confirmed" (with its reference and when), or "pending" (asked again on later runs). A
failed attempt is tried again with a growing wait (`RETRY_WAITS`). A kind without a channel (the
dispute-resolution vendor), or a partner whose system offers no way to delete by API, is left
to the privacy officer ("by hand"), who records the partner's answer (`record_confirmation`).
Every request is due `LOOKOUT_REDACTION_DUE_DAYS` (30) days after the erasure; one still
unconfirmed then is overdue (`overdue`): listed on the officer's queue and failed by the
self-audit, which messages the officers.

A partner's confirmation is the partner's word, recorded as given: nothing here can prove that
a partner deleted anything (docs/erasure-certificate.md).
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from lookout.core.errors import Conflict, LookoutError
from lookout.sharing import signing
from lookout.sharing.models import (
    DeletionCertificate,
    Disclosure,
    Partner,
    RedactionRequest,
    RedactionStatus,
)
from lookout.vault.master import master_cache

if TYPE_CHECKING:
    from lookout.accounts.models import User

logger = logging.getLogger(__name__)

REQUEST_TYPE = "lookout-redaction-request"
CERTIFICATE_TYPE = "lookout-deletion-certificate"
DEFAULT_DUE_DAYS = 30
# The wait after the 1st, 2nd, … failed attempt; the last one repeats.
RETRY_WAITS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# How long a run holds a request it is sending (another run skips it meanwhile).
CLAIM_FOR = timedelta(minutes=10)
# How long after a "pending" answer the partner is asked again.
CHECK_EVERY = timedelta(hours=1)
SUBJECT_LABEL = b"lookout deletion certificate subject v1:"
REFERENCE_LABEL = b"lookout deletion certificate reference v1:"


def due_days() -> int:
    return int(getattr(settings, "LOOKOUT_REDACTION_DUE_DAYS", DEFAULT_DUE_DAYS))


# --- channels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerAnswer:
    """What a partner answered: "confirmed" (it says it deleted), "pending" (it will answer
    later: ask again with `reference`), or "by_hand" (nothing can be done through its API:
    `note` says what the officer must do)."""

    status: str
    reference: str = ""
    confirmed_at: datetime | None = None
    note: str = ""


class ChannelError(Exception):
    """The partner could not be reached or refused the request; tried again later. The
    message is fixed wording (stored as the request's note), never the partner's text."""


@dataclass(frozen=True)
class Outgoing:
    """One signed request as a channel sends it."""

    body: dict[str, Any]
    signature_header: str
    records: list[str] = field(default_factory=list)

    @property
    def raw(self) -> bytes:
        return signing.canonical(self.body)


class Channel(Protocol):
    def send(self, partner: Partner, request: Outgoing) -> PartnerAnswer: ...

    def check(self, partner: Partner, reference: str) -> PartnerAnswer: ...


_CHANNELS: dict[str, Callable[[], Channel]] = {}


def register_channel(kind: str, factory: Callable[[], Channel]) -> None:
    """The way requests reach partners of `kind` (an app holding the adapter registers it in
    its AppConfig.ready())."""
    _CHANNELS[kind] = factory


def channel_for(kind: str) -> Channel | None:
    factory = _CHANNELS.get(kind)
    return factory() if factory is not None else None


# --- opening them at erasure ------------------------------------------------------------------


def _prf(label: bytes, value: bytes, size: int) -> bytes:
    _, index_prf, _ = master_cache.get()
    return bytes(index_prf.primary().compute(label + value, size))


def certificate_reference(request_id: uuid.UUID) -> str:
    """The reference the person is given when they ask to be erased: derived from their
    request with a key only the store holds, so it can be shown before the erasure and needs
    nothing stored; 24 characters of base32 (120 bits), not guessable."""
    raw = _prf(REFERENCE_LABEL, uuid.UUID(str(request_id)).bytes, 15)
    return base64.b32encode(raw).decode().lower()


def subject_reference(subject: uuid.UUID) -> str:
    """A keyed digest of the subject id: the store can match it, nobody else can."""
    return _prf(SUBJECT_LABEL, uuid.UUID(str(subject)).bytes, 16).hex()


def open_redactions(
    *,
    subject: uuid.UUID,
    request_id: uuid.UUID,
    key_destroyed_at: datetime,
    records: dict[str, list[str]] | None = None,
) -> DeletionCertificate:
    """The certificate and one redaction request per partner told about `subject` (the
    ledger), naming the fields that partner was sent. `records`: the partners' own references,
    per partner kind. Run inside the erasure's transaction; the send task is queued for when it
    commits. Running it again for the same request returns the certificate made first."""
    reference = certificate_reference(request_id)
    existing = DeletionCertificate.objects.filter(pk=reference).first()
    if existing is not None:
        return existing
    certificate = DeletionCertificate.objects.create(
        reference=reference,
        subject_ref=subject_reference(subject),
        key_destroyed_at=key_destroyed_at,
    )
    told: dict[uuid.UUID, dict[str, Any]] = {}
    for row in Disclosure.objects.filter(subject=subject).select_related("partner"):
        entry = told.setdefault(
            row.partner_id, {"partner": row.partner, "fields": set(), "categories": set()}
        )
        entry["fields"].update(row.fields)
        entry["categories"].update(row.categories)
    due = key_destroyed_at + timedelta(days=due_days())
    for entry in sorted(told.values(), key=lambda e: e["partner"].name):
        partner: Partner = entry["partner"]
        RedactionRequest.objects.create(
            certificate=certificate,
            partner=partner,
            subject=subject,
            fields=sorted(entry["fields"]),
            categories=sorted(entry["categories"]),
            records=sorted((records or {}).get(partner.kind, [])),
            due_at=due,
            next_attempt_at=key_destroyed_at,
        )
    if told:
        transaction.on_commit(_enqueue)
    return certificate


def _enqueue() -> None:
    from lookout.sharing.tasks import send_redactions

    try:
        send_redactions.enqueue()
    except Exception:  # the scheduler's run every few minutes sends them anyway
        logger.warning("could not queue the redaction requests; the scheduler will send them")


# --- sending ----------------------------------------------------------------------------------


def outgoing(request: RedactionRequest) -> Outgoing:
    """The signed request for `request`'s partner: the fields and records, no values."""
    body = {
        "type": REQUEST_TYPE,
        "version": 1,
        "request": str(request.pk),
        "from": str(getattr(settings, "LOOKOUT_OPERATOR_NAME", "")),
        "to": request.partner.name,
        "kind": request.partner.kind,
        "fields": list(request.fields),
        "categories": list(request.categories),
        "records": list(request.records),
        "erased_at": request.certificate.key_destroyed_at.isoformat(),
        "respond_by": request.due_at.isoformat(),
        "key_url": site_url() + signing.KEY_PATH,
    }
    header = f"keyid={signing.key_id()},ed25519={signing.sign_bytes(signing.canonical(body))}"
    return Outgoing(body=body, signature_header=header, records=list(request.records))


def site_url() -> str:
    return str(getattr(settings, "LOOKOUT_SITE_URL", "") or "").rstrip("/")


def _wait_after(attempts: int) -> timedelta:
    return RETRY_WAITS[min(max(attempts, 1), len(RETRY_WAITS)) - 1]


def due_requests(now: datetime) -> QuerySet[RedactionRequest]:
    return (
        RedactionRequest.objects.filter(
            status__in=(RedactionStatus.QUEUED, RedactionStatus.SENT), next_attempt_at__lte=now
        )
        .select_related("partner", "certificate")
        .order_by("next_attempt_at", "id")
    )


def send_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send the queued requests and ask again about the pending ones; counts by outcome."""
    now = now or timezone.now()
    counts = {"confirmed": 0, "pending": 0, "by_hand": 0, "failed": 0}
    for request in list(due_requests(now)[:limit]):
        if _claim(request, now):
            outcome = _attempt(request, now)
            if outcome != SUPERSEDED:
                counts[outcome] += 1
    return counts


# What `_attempt` answers when the request was answered by other means while it was asked.
SUPERSEDED = "superseded"


def _claim(request: RedactionRequest, now: datetime) -> bool:
    """Take the request for this run: the task queued by the erasure and the scheduler's run
    may overlap, and a partner should get each request once. A run that dies holding it
    leaves it to be tried again after CLAIM_FOR."""
    until = now + CLAIM_FOR
    taken = RedactionRequest.objects.filter(
        pk=request.pk, status=request.status, next_attempt_at=request.next_attempt_at
    ).update(next_attempt_at=until)
    request.next_attempt_at = until
    return bool(taken)


def _attempt(request: RedactionRequest, now: datetime) -> str:
    """Send or check one claimed request and write what came of it, unless the request changed
    meanwhile (the privacy officer recorded the partner's answer while the partner was being
    asked): then the officer's record stands and this run's answer is dropped (SUPERSEDED)."""
    from lookout.audit.services import record

    channel = channel_for(request.partner.kind)
    if channel is None:
        moved = _save_claimed(
            request,
            status=RedactionStatus.BY_HAND,
            note="No channel sends requests to this kind of partner: send it by hand and "
            "record the partner's answer.",
        )
        return "by_hand" if moved else SUPERSEDED
    first = request.status == RedactionStatus.QUEUED
    try:
        if first:
            answer = channel.send(request.partner, outgoing(request))
        else:
            answer = channel.check(request.partner, request.partner_reference)
    except ChannelError as exc:
        attempts = request.attempts + 1
        if not _save_claimed(
            request,
            attempts=attempts,
            next_attempt_at=now + _wait_after(attempts),
            note=str(exc)[:300],
        ):
            return SUPERSEDED
        logger.warning("redaction request %s not sent (attempt %d)", request.pk, attempts)
        return "failed"
    changes: dict[str, Any] = {"attempts": request.attempts + 1, "note": answer.note[:300]}
    if first:
        changes["sent_at"] = now
    if answer.reference:
        changes["partner_reference"] = answer.reference[:100]
    if answer.status == "confirmed":
        changes |= {"status": RedactionStatus.CONFIRMED, "confirmed_at": answer.confirmed_at or now}
    elif answer.status == "by_hand":
        changes["status"] = RedactionStatus.BY_HAND
    else:
        changes |= {"status": RedactionStatus.SENT, "next_attempt_at": now + CHECK_EVERY}
    with transaction.atomic():
        if not _save_claimed(request, **changes):
            logger.info("redaction request %s was answered meanwhile; kept as recorded", request.pk)
            return SUPERSEDED
        record(
            actor=None,
            action="privacy.redaction_" + ("sent" if first else "checked"),
            subject=request.subject,
            fields=list(request.fields),
            target=request,
            detail={"partner": str(request.partner_id), "answer": answer.status},
        )
    if answer.status in ("confirmed", "by_hand"):
        return answer.status
    return "pending"


def _save(request: RedactionRequest, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(request, name, value)
    request.save(update_fields=list(changes))


def _save_claimed(request: RedactionRequest, **changes: Any) -> bool:
    """Write `changes` to the row only while it is as this run claimed it (same status, the
    claim's time): False, and nothing written, when someone changed it since. The instance is
    left as claimed (the run drops it after its one attempt)."""
    return bool(
        RedactionRequest.objects.filter(
            pk=request.pk, status=request.status, next_attempt_at=request.next_attempt_at
        ).update(**changes)
    )


def record_confirmation(
    *, request: RedactionRequest, actor: User, reference: str, confirmed_at: datetime | None = None
) -> RedactionRequest:
    """The privacy officer records a partner's answer received outside the channels (a
    request sent by hand); the partner's reference is required, as for an automatic answer."""
    from lookout.access.roles import Role
    from lookout.audit.services import record

    if getattr(actor, "role", "") != Role.PRIVACY_OFFICER:
        raise LookoutError("Only the privacy officer records a partner's answer.")
    reference = " ".join(str(reference or "").split())
    if not reference or len(reference) > 100:
        raise LookoutError("Give the partner's reference for its answer (at most 100 characters).")
    with transaction.atomic():
        request = RedactionRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == RedactionStatus.CONFIRMED:
            raise Conflict("This partner's confirmation is already recorded.")
        _save(
            request,
            status=RedactionStatus.CONFIRMED,
            confirmed_at=confirmed_at or timezone.now(),
            partner_reference=reference,
            note="Confirmation recorded by the privacy officer.",
        )
        record(
            actor=actor,
            action="privacy.redaction_confirmed",
            subject=request.subject,
            target=request,
            detail={"partner": str(request.partner_id)},
        )
    return request


# --- overdue, and the certificate -------------------------------------------------------------


def overdue(*, now: datetime | None = None) -> QuerySet[RedactionRequest]:
    """Requests whose confirmation is past due: for the privacy officer (queue, self-audit)."""
    return (
        RedactionRequest.objects.filter(due_at__lt=now or timezone.now())
        .exclude(status=RedactionStatus.CONFIRMED)
        .select_related("partner")
        .order_by("due_at", "id")
    )


def unconfirmed() -> QuerySet[RedactionRequest]:
    """Every request no partner has confirmed yet, the one due first on top (officer's queue)."""
    return (
        RedactionRequest.objects.exclude(status=RedactionStatus.CONFIRMED)
        .select_related("partner")
        .order_by("due_at", "id")
    )


def certificate_body(certificate: DeletionCertificate, *, now: datetime | None = None) -> dict:
    """The certificate as it stands: no name, no contact, no value; the subject only as a keyed
    digest, partners by company name, fields by name."""
    partners = [
        {
            "partner": r.partner.name,
            "kind": r.partner.kind,
            "fields": list(r.fields),
            "asked_at": r.sent_at.isoformat() if r.sent_at else None,
            "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
            "partner_reference": r.partner_reference or None,
            "status": r.status,
        }
        for r in certificate.redactions.select_related("partner").order_by("partner__name")
    ]
    return {
        "type": CERTIFICATE_TYPE,
        "version": 1,
        "certificate": certificate.reference,
        "issuer": str(getattr(settings, "LOOKOUT_OPERATOR_NAME", "")),
        "subject_ref": certificate.subject_ref,
        "key_destroyed_at": certificate.key_destroyed_at.isoformat(),
        "issued_at": (now or timezone.now()).isoformat(),
        "partners": partners,
        "key_url": site_url() + signing.KEY_PATH,
        "meaning": "The data key that opened every stored copy of this person's data was "
        "destroyed at key_destroyed_at. Each partner named was asked to delete the fields "
        "listed; confirmed_at is when the partner said it had: its word, not proof.",
    }


def signed_certificate(reference: str) -> dict[str, Any] | None:
    """The signed certificate for `reference`, or None when there is none (yet)."""
    if not isinstance(reference, str) or not 16 <= len(reference) <= 40:
        return None
    certificate = DeletionCertificate.objects.filter(pk=reference.lower()).first()
    if certificate is None:
        return None
    return signing.sign_document(certificate_body(certificate))
