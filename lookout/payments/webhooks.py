"""Webhooks from the payment processor: what happened to a payment session, signed.

The processor POSTs `{"id", "type", "reference", "created"}` with
`Processor-Signature: t=<unix seconds>,v1=<HMAC>` over `"<t>.<body>"` (see
`sandbox_client.py`). The signature is checked before anything else is read: a missing or
wrong one, or one made outside the replay window, is refused (WebhookRefused, 401) and changes
nothing. An event id already applied is a repeat: nothing is done again.

What the event says is only a prompt: `receive` asks the processor for the session's current
state (`services.sync_with_processor`), so events late, repeated or out of order end in the
state the processor has now. The order's side (paid, failed) belongs to the orders app, which
imports this module (payments never imports orders): `lookout/orders/webhooks.py` is the view.

Stripe's events (`stripe_gateway.py`) come to the same view: `Stripe-Signature`, checked by
the Stripe SDK, and Stripe's event JSON, read by the gateway (decision 0038).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.payments.gateway import GatewayError, get_gateway
from lookout.payments.models import Payment, ProcessorEvent
from lookout.payments.sandbox_client import WEBHOOK_HEADER, WEBHOOK_TOLERANCE_SECONDS
from lookout.payments.services import UNAVAILABLE, ProcessorUnavailable, sync_with_processor

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


def signature_header(headers: Mapping[str, str]) -> str:
    """The request's signature header for the gateway in use: `Processor-Signature` for the
    sandbox, `Stripe-Signature` for Stripe (both come to the same endpoint)."""
    return headers.get(getattr(get_gateway(), "signature_header", HEADER), "")


def verified_event(*, body: bytes, header: str, now: float | None = None) -> Event:
    """The event, once its signature is the processor's and recent; else WebhookRefused.

    A gateway with `read_event` (Stripe) says which session a verified event concerns; the
    sandbox's events name it themselves."""
    gateway = get_gateway()
    if len(body) > getattr(gateway, "max_webhook_body", MAX_BODY):
        raise BadWebhook("The webhook is too large.")
    if not gateway.verify_webhook(body, header, now=time.time() if now is None else now):
        raise WebhookRefused("The webhook's signature is missing, wrong or too old.")
    read = getattr(gateway, "read_event", None)
    try:
        data = read(body) if read is not None else json.loads(body)
        event = Event(id=str(data["id"]), kind=str(data["type"]), reference=str(data["reference"]))
    except GatewayError as exc:
        raise ProcessorUnavailable(UNAVAILABLE) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
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
