"""The payment gateway for Stripe: Stripe Checkout, an authorization captured at shipping.

Why Checkout: it is Stripe's own hosted page. The store sends the buyer's browser to it and
never receives a card number (C2.3), and no Stripe script runs on the store's own pages
(C7.5), which Stripe's embedded forms (Elements) would need. A Checkout Session is the
store's "session" at the processor: its id is the payment's reference. Its PaymentIntent is
created with `capture_method=manual`, so paying authorizes the card and the store captures
when the parcel ships, refunds after that, and cancels (voids) the authorization when an
order is cancelled before shipment, as with the sandbox (decision 0038).

Every call is made with the official `stripe` SDK. Every call that changes something carries
an idempotency key: the store's own for a session and a refund, and one derived from the
session for a capture, a void or closing the page, so that a call repeated after a lost
answer is done once at Stripe. Webhook signatures are checked by the SDK
(`WebhookSignature.verify_header`, Stripe's `t=..,v1=..` HMAC with a five-minute window).

What Stripe says is mapped to `ProcessorSession` with only brand, last four and expiry of the
card: Stripe never sends a card number to a secret-key client, and nothing else is read.
The keys are never logged or shown: errors carry Stripe's HTTP status, not its message.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import stripe

from lookout.core.money import usd
from lookout.payments.gateway import GatewayError, GatewayTimeout, ProcessorSession

# The SDK logs each request at INFO and its form data at DEBUG: the return address in it holds
# the guest's access token. The store logs its own payment events; the SDK's only on warnings.
logging.getLogger("stripe").setLevel(logging.WARNING)

WEBHOOK_HEADER = "Stripe-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe's events carry the whole object (a PaymentIntent with its charge): larger than the
# sandbox's. Still bounded, so a flood of large bodies is refused before it is parsed.
MAX_WEBHOOK_BODY = 256 * 1024
_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,77}")
REFUSED = "The payment processor refused the request."
UNREACHABLE = "The payment processor cannot be reached right now."


def _cents(amount: Decimal) -> int:
    return int(usd(amount) * 100)


def _dollars(cents: Any) -> Decimal:
    return usd(Decimal(int(cents or 0)) / 100)


def _get(obj: Any, key: str) -> Any:
    """A field of a Stripe object or of a plain dict (an unexpanded id stays a string)."""
    if obj is None or isinstance(obj, str):
        return None
    try:
        return obj[key]
    except (KeyError, TypeError):
        return None


class StripeGateway:
    """`PaymentGateway` for Stripe (see the module docstring)."""

    signature_header = WEBHOOK_HEADER
    max_webhook_body = MAX_WEBHOOK_BODY

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        timeout: float = 10.0,
        site_url: str = "",
    ):
        if not secret_key or not webhook_secret:
            raise ValueError("Stripe needs a secret key and a webhook signing secret.")
        self._webhook_secret = webhook_secret
        self.site_url = site_url
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=0,  # the store's callers retry; a retry here would hold locks
        )

    def __repr__(self) -> str:  # never the keys
        return "StripeGateway()"

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """One SDK call, its failures turned into the store's GatewayError."""
        try:
            return call(*args, **kwargs)
        except stripe.APIConnectionError as exc:
            if "timed out" in str(exc).lower() or "timeout" in str(exc).lower():
                raise GatewayTimeout(
                    "The payment processor did not answer in time.", status=504
                ) from None
            raise GatewayError(UNREACHABLE) from None
        except stripe.StripeError as exc:
            status = int(exc.http_status or 502)
            raise GatewayError(REFUSED, status=409 if status in (400, 402) else 502) from None

    def _session(self, reference: str) -> Any:
        if not _SESSION_ID.fullmatch(reference):
            raise GatewayError("This is not a Stripe Checkout Session.", status=400)
        return self._call(self.client.v1.checkout.sessions.retrieve, reference)

    def _intent(self, session: Any) -> Any:
        """The session's PaymentIntent with its charge and card, or None before payment."""
        intent = _intent_id(session)
        if intent is None:
            return None
        return self._call(
            self.client.v1.payment_intents.retrieve,
            intent,
            params={"expand": ["latest_charge", "payment_method"]},
        )

    def _describe(self, session: Any) -> ProcessorSession:
        intent = self._intent(session)
        charge = _get(intent, "latest_charge")
        if isinstance(charge, str):  # not expanded after all
            charge = self._call(self.client.v1.charges.retrieve, charge)
        captured_cents = _captured(intent, charge)
        status, message = _status(
            session, intent, captured=captured_cents, refunded=_get(charge, "amount_refunded") or 0
        )
        card = _get(_get(intent, "payment_method"), "card")
        captured = _dollars(captured_cents)
        authorized = (
            _dollars(_get(intent, "amount"))
            if status in ("authorized", "captured", "refunded")
            else Decimal(0)
        )
        metadata = _get(session, "metadata")
        return ProcessorSession(
            reference=str(session["id"]),
            status=status,
            message=message,
            amount=_dollars(session["amount_total"]),
            currency=str(session["currency"] or "").upper(),
            order_ref=str(
                _get(metadata, "order_ref") or _get(session, "client_reference_id") or ""
            ),
            token=str(intent["id"]) if intent is not None else None,
            brand=_get(card, "brand"),
            last4=_get(card, "last4"),
            exp_month=_get(card, "exp_month"),
            exp_year=_get(card, "exp_year"),
            authorized_amount=authorized,
            captured_amount=captured,
            refunded_amount=_dollars(_get(charge, "amount_refunded")),
            pay_url=str(session["url"] or ""),
        )

    # -- PaymentGateway ------------------------------------------------------------------------

    def create_session(
        self,
        *,
        idempotency_key: str,
        order_ref: uuid.UUID,
        amount: Decimal,
        return_url: str,
        cardholder_name: str | None = None,
    ) -> ProcessorSession:
        """Open a Checkout Session. The name hint is not sent: Checkout has no field for it
        and asks the buyer on its page (less leaves the store, C5.3)."""
        back = (
            urljoin(self.site_url + "/", return_url) if return_url.startswith("/") else return_url
        )
        back += ("&" if "?" in back else "?") + "ref={CHECKOUT_SESSION_ID}"
        metadata = {"order_ref": str(order_ref)}
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": _cents(amount),
                            "product_data": {"name": "Lookout order"},
                        },
                        "quantity": 1,
                    }
                ],
                "payment_intent_data": {"capture_method": "manual", "metadata": metadata},
                "metadata": metadata,
                "client_reference_id": str(order_ref),
                "success_url": back,
                "cancel_url": back,
            },
            options={"idempotency_key": idempotency_key},
        )
        return self._describe(session)

    def fetch(self, reference: str) -> ProcessorSession:
        return self._describe(self._session(reference))

    def capture(self, reference: str) -> ProcessorSession:
        """Take the authorized amount; a capture already made is returned as it is (a repeat
        after a lost answer), anything else is refused (409), as the sandbox refuses it."""
        described = self.fetch(reference)
        if described.status in ("captured", "refunded"):
            return described
        if described.status != "authorized":
            raise GatewayError(
                f"Only an authorized payment can be captured; this one is {described.status}.",
                status=409,
            )
        self._call(
            self.client.v1.payment_intents.capture,
            str(described.token),
            options={"idempotency_key": f"capture-{reference}"},
        )
        return self.fetch(reference)

    def expire(self, reference: str) -> ProcessorSession:
        session = self._session(reference)
        if session["status"] == "open":
            try:
                self._call(
                    self.client.v1.checkout.sessions.expire,
                    reference,
                    options={"idempotency_key": f"expire-{reference}"},
                )
            except GatewayError as exc:
                if exc.status != 409:  # 409: the buyer completed the page in that moment
                    raise
        return self.fetch(reference)

    def void(self, reference: str) -> ProcessorSession:
        described = self.fetch(reference)
        if described.status == "voided":
            return described
        if described.status != "authorized":
            raise GatewayError(
                f"Only an authorized payment can be released; this one is {described.status}.",
                status=409,
            )
        self._call(
            self.client.v1.payment_intents.cancel,
            str(described.token),
            options={"idempotency_key": f"void-{reference}"},
        )
        return self.fetch(reference)

    def refund(self, reference: str, *, amount: Decimal, idempotency_key: str) -> ProcessorSession:
        session = self._session(reference)
        intent = _intent_id(session)
        if intent is None:
            raise GatewayError("Nothing was paid on this session.", status=409)
        self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": intent, "amount": _cents(amount)},
            options={"idempotency_key": idempotency_key},
        )
        return self.fetch(reference)

    # -- redaction requests after an erasure (issue 26; lookout.payments.redaction) ----------

    def request_redaction(self, body: dict[str, Any], signature_header: str) -> dict[str, Any]:
        """Stripe's own deletion call where one exists: every Customer object behind the
        person's Checkout Sessions (on the session or its PaymentIntent) is deleted
        (`DELETE /v1/customers/{id}`, which removes the name, email, address and saved cards
        Stripe keeps with it); Stripe's answer is the confirmation. A payment made without a
        Customer (the store's own sessions create none) keeps its billing details in the
        PaymentIntent and charge, which Stripe's API cannot delete: that request is left to the
        privacy officer ("by_hand"), to send through Stripe's privacy request form. Stripe
        takes no signature of ours: the secret key authenticates the store."""
        records = [str(r) for r in body.get("records") or [] if _SESSION_ID.fullmatch(str(r))]
        customers: list[str] = []
        guests = 0
        for reference in records:
            session = self._session(reference)
            found = _get(session, "customer") or _get(self._intent(session), "customer")
            found = found if isinstance(found, str) else _get(found, "id")
            if found:
                if found not in customers:
                    customers.append(str(found))
            else:
                guests += 1
        for customer in customers:
            try:
                self.client.v1.customers.delete(customer)
            except stripe.InvalidRequestError as exc:
                if exc.http_status != 404:  # 404: deleted before (a retry): done
                    raise GatewayError(REFUSED, status=int(exc.http_status or 502)) from None
            except stripe.StripeError:
                raise GatewayError(UNREACHABLE) from None
        if guests or not records:
            return {
                "status": "by_hand",
                "reference": f"stripe:customers-deleted:{len(customers)}",
                "confirmed_at": None,
                "note": (
                    f"Stripe deleted {len(customers)} Customer object(s); "
                    f"{guests or len(records) or 'no'} payment(s) without a Customer keep "
                    "billing details Stripe's API cannot delete: send Stripe's privacy request "
                    "form and record its answer."
                ),
            }
        return {
            "status": "confirmed",
            "reference": f"stripe:customers-deleted:{len(customers)}",
            "confirmed_at": None,
            "note": "",
        }

    def redaction_status(self, reference: str) -> dict[str, Any]:
        """Stripe's deletions are done when its call answers: nothing is ever pending."""
        return {"status": "confirmed", "reference": reference, "confirmed_at": None, "note": ""}

    def verify_return(self, signed_reference: str) -> str | None:
        """Stripe does not sign the return: the reference is the session id Stripe put into
        the return address. It is only a pointer: the store uses it when it is the payment's
        own session and then asks Stripe, server to server, what happened."""
        return signed_reference if _SESSION_ID.fullmatch(signed_reference or "") else None

    def verify_webhook(self, body: bytes, header: str, *, now: float) -> bool:
        """Stripe's signature, checked by the SDK (which reads the clock itself)."""
        try:
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"),
                header,
                self._webhook_secret,
                tolerance=WEBHOOK_TOLERANCE_SECONDS,
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
            return False
        return True

    def read_event(self, body: bytes) -> dict[str, str]:
        """A verified event as the store's webhook handling reads it: id, type and the
        Checkout Session it concerns (for a PaymentIntent's, charge's or refund's event, the
        session that created that PaymentIntent)."""
        data = json.loads(body)
        obj = data["data"]["object"]
        kind = str(obj.get("object") or "")
        if kind == "checkout.session":
            reference = str(obj["id"])
        else:
            intent = obj.get("id") if kind == "payment_intent" else obj.get("payment_intent")
            reference = self._session_of(str(intent)) if intent else str(obj.get("id") or "-")
        return {"id": str(data["id"]), "type": str(data["type"]), "reference": reference}

    def _session_of(self, intent: str) -> str:
        found = self._call(
            self.client.v1.checkout.sessions.list,
            params={"payment_intent": intent, "limit": 1},
        )
        return str(found.data[0]["id"]) if found.data else intent


def _intent_id(session: Any) -> str | None:
    intent = session["payment_intent"]
    if intent is None:
        return None
    return intent if isinstance(intent, str) else str(intent["id"])


def _captured(intent: Any, charge: Any) -> int:
    """Cents taken: Stripe's `amount_received`, else (localstripe, which lacks it) the
    captured charge's amount."""
    if _get(intent, "status") != "succeeded":
        return 0
    for value in (_get(intent, "amount_received"), _get(charge, "amount_captured")):
        if value is not None:
            return int(value)
    return int(_get(charge, "amount") or 0) if _get(charge, "captured") else 0


def _status(session: Any, intent: Any, *, captured: int, refunded: int) -> tuple[str, str]:
    """The sandbox's words for a Checkout Session and its PaymentIntent."""
    if session["status"] == "expired":
        return "expired", "The payment page was closed before the payment was made."
    if session["status"] == "open" or intent is None:
        return "open", ""  # a declined card leaves Checkout's page open for another card
    intent_status = intent["status"]
    if intent_status == "requires_capture":
        return "authorized", ""
    if intent_status == "canceled":
        return "voided", "The authorization was released; nothing was taken."
    if intent_status == "succeeded":
        if refunded and int(refunded) >= captured:
            return "refunded", ""
        return "captured", ""
    if intent_status == "processing":
        return "open", ""
    return "declined", "Your card was declined. No money was taken; please try another card."
