"""The sandbox carrier's side of tracking, for demos and for `lookout carrier simulate`.

A real carrier scans a parcel and POSTs a signed tracking update to the store
(`lookout.shipping.webhooks`). The sandbox carrier has no trucks, so this module plays that
carrier: it writes the update, signs it with the carrier's webhook secret exactly as the
carrier does (`Lookout-Signature: t=<now>,v1=<hmac>`), and delivers it either
  - in-process, to `webhooks.handle_webhook`, the very function the webhook view calls with the
    raw body and header (verification, replay check, tracking event, order status, audit entry
    and inbox message all happen there); or
  - over HTTP, to the running store's `/shipping/webhooks/carrier/` at a URL the operator gives.
Nothing here writes a row itself: a forged or stale update would be refused by the store the
same way a real one would.

Sandbox only: the store's webhook secret is the carrier's secret, and in production only the
real carrier may hold it and speak for parcels, so `refuse_in_production` is called first.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.shipping.models import TrackingStatus
from lookout.shipping.webhooks import HEADER, handle_webhook, sign

# What the sandbox carrier can report for a parcel, in the order it happens.
STATES = (TrackingStatus.IN_TRANSIT.value, TrackingStatus.DELIVERED.value)
WEBHOOK_PATH = "/shipping/webhooks/carrier/"
HTTP_TIMEOUT_SECONDS = 10


class SimulationRefused(LookoutError):
    """The sandbox carrier will not send this update; the message says why. Nothing changed."""


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise SimulationRefused(
            "The sandbox carrier is not available in production: only the real carrier sends "
            "tracking updates there."
        )


def signed_update(
    *,
    tracking_number: str,
    status: str,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[bytes, str]:
    """The body the carrier POSTs and its signature header.

    `occurred_at` is when the scan happened (it may be in the past: a demo parcel delivered
    ten days ago); the signature carries the time of sending (`now`), as the carrier signs at
    the moment it sends, so the store's freshness check sees a fresh update either way."""
    sent = now or timezone.now()
    body = json.dumps(
        {
            "event_id": secrets.token_hex(16),
            "tracking_number": tracking_number,
            "status": status,
            "occurred_at": (occurred_at or sent).astimezone(UTC).isoformat(),
        }
    ).encode()
    return body, sign(body=body, timestamp=int(sent.timestamp()))


@dataclass(frozen=True)
class Sent:
    """What the store answered: the event id it recorded and the status it applied."""

    event_id: str
    status: str


def send_update(
    *,
    tracking_number: str,
    status: str,
    occurred_at: datetime | None = None,
    url: str | None = None,
) -> Sent:
    """Sign one update and deliver it: to `handle_webhook` in this process, or over HTTP to
    the store at `url` (its base address, e.g. http://127.0.0.1:8000)."""
    refuse_in_production()
    if status not in STATES:
        raise SimulationRefused(
            f"The sandbox carrier reports {' or '.join(STATES)}, not {status!r}."
        )
    body, header = signed_update(
        tracking_number=tracking_number, status=status, occurred_at=occurred_at
    )
    if url is None:
        event = handle_webhook(body=body, header=header)
        return Sent(event_id=event.event_id, status=event.status)
    return _post(url=url, body=body, header=header)


def _post(*, url: str, body: bytes, header: str) -> Sent:
    target = url.rstrip("/") + WEBHOOK_PATH
    if not target.startswith(("http://", "https://")):
        raise SimulationRefused("The store's URL must start with http:// or https://.")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        target,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", HEADER: header},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read() or b"{}").get("error", "")
        except ValueError:
            message = ""
        raise SimulationRefused(
            f"The store refused the update ({error.code}): {message or error.reason}"
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise SimulationRefused(f"Could not reach the store at {target}: {error}") from error
    return Sent(event_id=str(answer.get("received", "")), status=str(answer.get("status", "")))


def simulate(*, order_number: str, to: str, url: str | None = None) -> Sent:
    """Move a shipped order's parcel to `to` (in transit or delivered) as the carrier would.

    Refused, before anything is signed, in production, for an unknown order, and for an order
    that is not shipped (never handed to the carrier, cancelled, or delivered already)."""
    from lookout.orders.models import Order, Status
    from lookout.shipping.models import Shipment

    refuse_in_production()
    if to not in STATES:
        raise SimulationRefused(f"--to must be one of {', '.join(STATES)}, not {to!r}.")
    order = Order.objects.filter(number=order_number.strip().upper()).first()
    if order is None:
        raise SimulationRefused(f"There is no order {order_number}.")
    shipment = Shipment.objects.filter(order=order).first()
    if order.status != Status.SHIPPED or shipment is None:
        raise SimulationRefused(
            f"Order {order.number} is {Status(order.status).label.lower()}, not shipped: the "
            "carrier only moves a parcel the warehouse has handed over (ship it first)."
        )
    return send_update(tracking_number=shipment.tracking_number, status=to, url=url)
