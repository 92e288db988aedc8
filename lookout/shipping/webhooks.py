"""Signed tracking webhooks from the carrier (in transit, delivered).

The carrier signs `<timestamp>.<body>` with HMAC-SHA256 under a shared secret and sends
`Lookout-Signature: t=<unix seconds>,v1=<hex>`. A missing or wrong signature, a timestamp outside
the tolerance, or an event id already received (a replay) is refused with 401 and changes
nothing. A correctly signed body that does not make sense is refused with 400.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lookout.core.errors import LookoutError, NotFound
from lookout.shipping.models import Shipment, TrackingEvent, TrackingStatus

HEADER = "Lookout-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY = 4096


class WebhookRefused(LookoutError):
    status_code = 401


class BadWebhook(LookoutError):
    status_code = 400


def secret() -> bytes:
    configured = getattr(settings, "LOOKOUT_CARRIER_WEBHOOK_SECRET", "")
    if configured:
        return str(configured).encode()
    return (
        salted_hmac("lookout.shipping.webhook", "sandbox-carrier", algorithm="sha256")
        .hexdigest()
        .encode()
    )


def sign(*, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _parse_header(header: str) -> tuple[int, str]:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        return int(parts["t"]), parts["v1"]
    except (KeyError, ValueError) as exc:
        raise WebhookRefused("Missing or malformed signature.") from exc


def verify(*, body: bytes, header: str, now: datetime | None = None) -> None:
    timestamp, given = _parse_header(header or "")
    current = int((now or timezone.now()).timestamp())
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise WebhookRefused("Signature timestamp is outside the allowed window.")
    expected = sign(body=body, timestamp=timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise WebhookRefused("Signature does not match.")


@dataclass(frozen=True)
class Update:
    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime


def _parse_body(body: bytes) -> Update:
    try:
        data = json.loads(body)
        update = Update(
            event_id=str(data["event_id"]),
            tracking_number=str(data["tracking_number"]),
            status=str(data["status"]),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadWebhook("The tracking update is not valid JSON with the expected fields.") from exc
    if update.status not in (TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED):
        raise BadWebhook(f"Unknown tracking status {update.status!r}.")
    if not 8 <= len(update.event_id) <= 64 or update.occurred_at.tzinfo is None:
        raise BadWebhook("The event id or time is malformed.")
    return update


def handle_webhook(*, body: bytes, header: str, now: datetime | None = None) -> TrackingEvent:
    """Verify, then apply one tracking update: a replayed event id is refused (401)."""
    if len(body) > MAX_BODY:
        raise BadWebhook("The tracking update is too large.")
    verify(body=body, header=header, now=now)
    update = _parse_body(body)
    if TrackingEvent.objects.filter(event_id=update.event_id).exists():
        raise WebhookRefused("This update was already received (replay).")
    shipment = Shipment.objects.filter(tracking_number=update.tracking_number).first()
    try:
        with transaction.atomic():
            if shipment is not None:
                return _apply(shipment=shipment, update=update)
            return _apply_to_return(update=update)
    except IntegrityError as exc:
        raise WebhookRefused("This update was already received (replay).") from exc


def _apply_to_return(*, update: Update) -> TrackingEvent:
    """A customer's return parcel on its way back: the return moves to "in transit" (C1.7).

    "Delivered" here means delivered to our warehouse, which still has to receive and inspect
    it, so both scans move the return to in transit and no further.
    """
    from lookout.returns.models import ReturnRequest
    from lookout.returns.services import InvalidReturnTransition, mark_in_transit

    ret = ReturnRequest.objects.filter(tracking_number=update.tracking_number).first()
    if ret is None:
        raise NotFound("No parcel with that tracking number.")
    event = TrackingEvent.objects.create(
        event_id=update.event_id,
        return_ref=ret.pk,
        status=update.status,
        occurred_at=update.occurred_at,
    )
    # A late scan of a parcel the warehouse already received is kept as an event only.
    with contextlib.suppress(InvalidReturnTransition):
        mark_in_transit(ret=ret)
    return event


def _apply(*, shipment: Shipment, update: Update) -> TrackingEvent:
    from lookout.inbox.services import send_message
    from lookout.orders.services import mark_delivered

    event = TrackingEvent.objects.create(
        event_id=update.event_id,
        shipment=shipment,
        status=update.status,
        occurred_at=update.occurred_at,
    )
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != TrackingStatus.DELIVERED:
        shipment.status = update.status
        shipment.updated_at = timezone.now()
        shipment.save(update_fields=["status", "updated_at"])
    order = shipment.order
    if update.status == TrackingStatus.DELIVERED:
        mark_delivered(order=order, at=update.occurred_at)
    else:
        send_message(
            subject=order.subject,
            kind="order_update",
            title=f"In transit — order {order.number}",
            body=f"The carrier is moving your parcel (tracking number {shipment.tracking_number}).",
            dedupe_key=f"order:{order.id}:in_transit",
        )
    return event


def sandbox_webhook(
    *, tracking_number: str, status: str, at: datetime | None = None, event_id: str | None = None
) -> tuple[bytes, str]:
    """What the sandbox carrier would POST: the body and its signature header."""
    when = at or timezone.now()
    body = json.dumps(
        {
            "event_id": event_id or secrets.token_hex(16),
            "tracking_number": tracking_number,
            "status": status,
            "occurred_at": when.astimezone(UTC).isoformat(),
        }
    ).encode()
    return body, sign(body=body, timestamp=int(when.timestamp()))
