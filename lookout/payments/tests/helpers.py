"""Driving the hosted payment page at the WSGI level, like a browser would."""

from __future__ import annotations

import io
import re
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from lookout.payments.services import PaymentStart, start_payment
from lookout.payments.transport import call_wsgi
from sandbox_processor.shopper import future_expiry

SUCCESS = "4242 4242 4242 4242"
DECLINE = "4000 0000 0000 0002"
TIMEOUT = "4000 0000 0000 0119"


class RecordingApp:
    """Wraps a WSGI app and keeps the path, query and body of every request it gets."""

    def __init__(self, app: Any):
        self.app = app
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append(f"{environ.get('PATH_INFO')}?{environ.get('QUERY_STRING')} {body!r}")
        return self.app(environ, start_response)


def begin(amount: str = "129.00", key: str | None = None) -> PaymentStart:
    return start_payment(
        order_ref=uuid.uuid4(),
        amount=Decimal(amount),
        return_url="/checkout/payment-return/{payment_id}/",
        idempotency_key=key or f"checkout-{uuid.uuid4()}",
    )


def pay_on_page(
    shop: Any,
    start: PaymentStart,
    *,
    card: str,
    expiry: str | None = None,
    cvc: str = "123",
    action: str = "pay",
) -> tuple[int, dict[str, str], bytes]:
    """GET the processor's page from the redirect URL, then POST its form, as a browser does."""
    status, _, page = call_wsgi(shop, "GET", start.redirect_url)
    assert status == 200, page
    form_action = re.search(rb'<form method="post" action="([^"]+)"', page)
    assert form_action is not None
    expiry = expiry or future_expiry()
    body = urlencode(
        {"name": "Ada Example", "number": card, "expiry": expiry, "cvc": cvc, "action": action}
    ).encode()
    return call_wsgi(
        shop,
        "POST",
        form_action[1].decode(),
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def signed_ref(location: str) -> str:
    """The `ref` the processor put on the return redirect."""
    return parse_qs(urlsplit(location).query)["ref"][0]
