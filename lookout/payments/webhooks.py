"""Webhooks from the payment processor: what happened to a payment session, signed.

The processor POSTs `{"id", "type", "reference", "created"}` with
`Processor-Signature: t=<unix seconds>,v1=<HMAC>` over `"<t>.<body>"` (see
`sandbox/signing.py`). The signature is checked before anything else is read: a missing or
wrong one, or one made outside the replay window, is refused (WebhookRefused, 401) and changes
nothing. An event id already applied is a repeat: nothing is done again.

What the event says is only a prompt: `receive` asks the processor for the session's current
state (`services.sync_with_processor`), so events late, repeated or out of order end in the
state the processor has now. The order's side (paid, failed) belongs to the orders app, which
imports this module (payments never imports orders): `lookout/orders/webhooks.py` is the view.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.payments.gateway import get_gateway
from lookout.payments.models import Payment, ProcessorEvent
from lookout.payments.sandbox.signing import WEBHOOK_HEADER, WEBHOOK_TOLERANCE_SECONDS
from lookout.payments.services import sync_with_processor

HEADER = WEBHOOK_HEADER
MAX_BODY = 4096
# Event ids are kept this long: any older delivery is refused by its signature's timestamp.
KEEP_EVENTS = timedelta(seconds=2 * WEBHOOK_TOLERANCE_SECONDS)


class WebhookRefused(LookoutError):
    status_code = 401


class BadWebhook(LookoutError):
    status_code = 400


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    reference: str


def verified_event(*, body: bytes, header: str, now: float | None = None) -> Event:
    """The event, once its signature is the processor's and recent; else WebhookRefused."""
    if len(body) > MAX_BODY:
        raise BadWebhook("The webhook is too large.")
    if not get_gateway().verify_webhook(body, header, now=time.time() if now is None else now):
        raise WebhookRefused("The webhook's signature is missing, wrong or too old.")
    try:
        data = json.loads(body)
        event = Event(id=str(data["id"]), kind=str(data["type"]), reference=str(data["reference"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadWebhook("The webhook is not JSON with id, type and reference.") from exc
    if not (1 <= len(event.id) <= 80 and 1 <= len(event.reference) <= 80 and len(event.kind) <= 40):
        raise BadWebhook("The webhook's id, type or reference is malformed.")
    return event


def already_applied(event: Event) -> bool:
    return ProcessorEvent.objects.filter(event_id=event.id).exists()


def apply(event: Event) -> Payment | None:
    """Bring the event's payment up to the processor's current state; None if the store has
    no payment for that session (nothing to do). ProcessorUnavailable: try again later."""
    payment = Payment.objects.filter(processor_reference=event.reference).first()
    if payment is None:
        return None
    return sync_with_processor(payment=payment)


def mark_applied(event: Event) -> None:
    """Remember the event (after it was applied: a failure in between means the processor's
    retry applies it again, which is harmless), and forget those past the replay window."""
    ProcessorEvent.objects.filter(received_at__lt=timezone.now() - KEEP_EVENTS).delete()
    try:
        with transaction.atomic():
            ProcessorEvent.objects.create(
                event_id=event.id, reference=event.reference, kind=event.kind
            )
    except IntegrityError:
        pass  # a concurrent delivery of the same event recorded it first
