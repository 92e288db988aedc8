"""localstripe, started for the Stripe gateway's tests, with the one part of Stripe it lacks.

Run as a script (`python localstripe_server.py`): it starts localstripe's own aiohttp server
on a free port of 127.0.0.1 and prints that port on its first line. localstripe keeps every
PaymentIntent, charge, capture, cancellation and refund itself, and signs its webhooks the
way Stripe does (`Stripe-Signature: t=..,v1=..`). It has no Checkout Sessions, Stripe's hosted
payment page, so this module adds them as localstripe resources (decision 0038): a session
holds an amount, a currency, metadata and the return addresses, can be retrieved, listed by
PaymentIntent and expired, may name a Customer (Stripe's `customer` parameter: the
PaymentIntent then belongs to it); and `POST /_lookout/checkout/{id}/pay` is what the
customer does on Stripe's page: the card becomes a localstripe PaymentMethod and a
PaymentIntent with `capture_method=manual` is created and confirmed by localstripe's own
code, as Checkout does.
A declined card leaves the session open, as Checkout's page does. Nothing about money is
decided here: localstripe decides authorizations, captures, voids and refunds.

Every API request's method, path, Idempotency-Key and body are kept (`GET /_lookout/requests`),
so the tests can see which keys the gateway sent and that no personal data went along.
localstripe's store is not written to /tmp (two test runs at once would share one file).

A test tool: never imported by the store, nor by the tests (they run it as a process).
"""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import schedule_webhook

resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]

SESSION_SECONDS = 24 * 3600
seen: list[dict[str, str]] = []


class CheckoutSession(resources.StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(
        self,
        mode: str | None = None,
        line_items: Any = None,
        payment_intent_data: Any = None,
        metadata: Any = None,
        client_reference_id: str | None = None,
        success_url: str | None = None,
        cancel_url: str | None = None,
        payment_method_types: Any = None,
        expires_at: Any = None,
        customer: str | None = None,
        **kwargs: Any,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        try:
            assert mode == "payment"
            assert isinstance(line_items, list) and len(line_items) >= 1
            amount = 0
            currencies = set()
            for item in line_items:
                price = item["price_data"]
                amount += int(price["unit_amount"]) * int(item.get("quantity", 1))
                currencies.add(str(price["currency"]))
            assert amount > 0 and len(currencies) == 1
            assert isinstance(success_url, str) and success_url.startswith("http")
            assert cancel_url is None or str(cancel_url).startswith("http")
            intent = dict(payment_intent_data or {})
            assert customer is None or (isinstance(customer, str) and customer.startswith("cus_"))
            assert intent.get("capture_method", "automatic") in ("automatic", "manual")
        except (AssertionError, KeyError, TypeError, ValueError):
            raise UserError(400, "Bad request") from None
        super().__init__()
        self.mode = mode
        self.amount_total = amount
        self.currency = currencies.pop()
        self.metadata = metadata or {}
        self.client_reference_id = client_reference_id
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.customer = customer
        self.payment_intent = None
        self.status = "open"
        self.payment_status = "unpaid"
        self.expires_at = int(expires_at or self.created + SESSION_SECONDS)
        self.url = f"{BASE}/_lookout/checkout/{self.id}"
        self._intent = intent

    @classmethod
    def _api_list_all(cls, url, limit=None, starting_after=None, payment_intent=None, **kwargs):
        listed = super()._api_list_all(url, limit=limit, starting_after=starting_after, **kwargs)
        if payment_intent is not None:
            listed._list = [s for s in listed._list if s.payment_intent == payment_intent]
        return listed

    @classmethod
    def _api_expire(cls, id: str, **kwargs: Any) -> CheckoutSession:
        session = cls._api_retrieve(id)
        if session.status != "open":
            raise UserError(400, "Only Checkout Sessions with a status in [open] can be expired.")
        session.status = "expired"
        schedule_webhook(resources.Event("checkout.session.expired", session))
        return session

    def _pay(self, card: dict[str, Any]) -> None:
        """What Stripe's page does with the card the customer typed."""
        if self.status != "open":
            raise UserError(400, "This Checkout Session is no longer open.")
        method = resources.PaymentMethod(type="card", card=card)
        intent = resources.PaymentIntent(
            amount=self.amount_total,
            currency=self.currency,
            payment_method=method.id,
            capture_method=self._intent.get("capture_method", "automatic"),
            customer=self.customer,
            metadata=dict(self._intent.get("metadata") or {}),
        )
        self.payment_intent = intent.id
        intent._confirm(on_failure_now=lambda: None)
        if intent.status in ("requires_capture", "succeeded"):
            self.status, self.payment_status = "complete", "paid"
            schedule_webhook(resources.Event("checkout.session.completed", self))


BASE = ""


async def pay(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    session = CheckoutSession._api_retrieve(request.match_info["id"])
    card = {k: data.get(k) for k in ("number", "exp_month", "exp_year", "cvc")}
    session._pay(card)
    # Stripe puts the session's id into the return address it sends the browser to.
    back = str(session.success_url).replace("{CHECKOUT_SESSION_ID}", session.id)
    return web.json_response({"status": session.status, "redirect": back})


async def requests_seen(request: web.Request) -> web.Response:
    return web.json_response(seen)


@web.middleware
async def keep_keys(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/_"):
        body = await request.read()
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "key": request.headers.get("Idempotency-Key", ""),
                "body": body.decode("utf-8", "replace") + request.query_string,
            }
        )
    return await handler(request)


def build() -> web.Application:
    app = server.app
    app.middlewares.insert(0, keep_keys)
    routes = [
        (
            "POST",
            "/v1/checkout/sessions/{id}/expire",
            server.api_extra(CheckoutSession._api_expire, ""),
        ),
        ("POST", "/v1/checkout/sessions", server.api_create(CheckoutSession, "")),
        ("GET", "/v1/checkout/sessions/{id}", server.api_retrieve(CheckoutSession, "")),
        (
            "GET",
            "/v1/checkout/sessions",
            server.api_list_all(CheckoutSession, "/v1/checkout/sessions"),
        ),
        ("POST", "/_lookout/checkout/{id}/pay", pay),
        ("GET", "/_lookout/requests", requests_seen),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    return app


def main() -> None:
    global BASE
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    BASE = f"http://127.0.0.1:{port}"
    app = build()
    print(port, flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    main()
