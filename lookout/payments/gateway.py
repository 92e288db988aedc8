"""The payment-gateway interface the store codes against, and its sandbox implementation.

The store never sees a card: it creates a session at the processor, sends the browser to the
processor's page, verifies the signed reference the browser brings back and asks the processor
what happened, server to server. `PaymentGateway` is that conversation; `SandboxGateway` has
it with the sandbox processor (`sandbox_processor/`, a package of its own) over a `Transport`
(HTTP, or in-process WSGI where no server runs), its signatures checked by `sandbox_client`.
`StripeGateway` (stripe_gateway.py) has it with Stripe.

Settings (optional; defaults in brackets):
  LOOKOUT_PAYMENT_PROCESSOR_URL         ["http://127.0.0.1:8000/sandbox-processor"]
  LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS  call the sandbox in-process instead of HTTP [TESTING]
  LOOKOUT_PAYMENT_TIMEOUT_SECONDS       how long the store waits for the processor [10]
  LOOKOUT_PAYMENT_GATEWAY               "sandbox" or "stripe" (stripe_gateway.py) ["sandbox"]
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lookout.core.money import usd
from lookout.payments import sandbox_client
from lookout.payments.transport import (
    ApiResponse,
    HttpTransport,
    Transport,
    TransportError,
    TransportTimeout,
    WsgiTransport,
)

DEFAULT_PROCESSOR_URL = "http://127.0.0.1:8000/sandbox-processor"


class GatewayError(Exception):
    """The processor refused or could not be reached; `message` is safe to show."""

    def __init__(self, message: str, *, status: int = 502):
        super().__init__(message)
        self.message, self.status = message, status


class GatewayTimeout(GatewayError):
    """The processor did not answer in time (or answered 504)."""


@dataclass(frozen=True)
class ProcessorSession:
    """What the processor says about one payment; card facts are brand, last four, expiry."""

    reference: str
    status: str
    message: str
    amount: Decimal
    currency: str
    order_ref: str
    token: str | None
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    authorized_amount: Decimal
    captured_amount: Decimal
    refunded_amount: Decimal
    pay_url: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ProcessorSession:
        try:
            return cls(
                reference=str(data["reference"]),
                status=str(data["status"]),
                message=str(data.get("message") or ""),
                amount=usd(data["amount"]),
                currency=str(data["currency"]),
                order_ref=str(data["order_ref"]),
                token=data.get("token"),
                brand=data.get("brand"),
                last4=data.get("last4"),
                exp_month=data.get("exp_month"),
                exp_year=data.get("exp_year"),
                authorized_amount=usd(data["authorized_amount"]),
                captured_amount=usd(data["captured_amount"]),
                refunded_amount=usd(data["refunded_amount"]),
                pay_url=str(data["pay_url"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError("The payment processor gave an answer we cannot read.") from exc


class PaymentGateway(Protocol):
    def create_session(
        self,
        *,
        idempotency_key: str,
        order_ref: uuid.UUID,
        amount: Decimal,
        return_url: str,
        cardholder_name: str | None = None,
    ) -> ProcessorSession: ...

    def fetch(self, reference: str) -> ProcessorSession: ...

    def capture(self, reference: str) -> ProcessorSession: ...

    def expire(self, reference: str) -> ProcessorSession:
        """Close the session's payment page if the customer has not paid yet; the session as
        it stands afterwards (expired, or the outcome the customer reached first)."""
        ...

    def void(self, reference: str) -> ProcessorSession:
        """Release an authorization that was never captured (the order was cancelled before
        shipment): the session becomes 'voided' and nothing is taken. Voiding twice is
        harmless; a session that is not authorized is refused (GatewayError, 409)."""
        ...

    def refund(
        self, reference: str, *, amount: Decimal, idempotency_key: str
    ) -> ProcessorSession: ...

    def verify_webhook(self, body: bytes, header: str, *, now: float) -> bool:
        """Whether a webhook's body carries the processor's signature, made recently."""
        ...

    def verify_return(self, signed_reference: str) -> str | None:
        """The processor's reference if the signature is the processor's, else None."""
        ...


class SandboxGateway:
    def __init__(self, *, transport: Transport, secret: str):
        self.transport, self.secret = transport, secret

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ProcessorSession:
        headers = {"Authorization": f"Bearer {sandbox_client.api_key(self.secret)}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            answer: ApiResponse = self.transport.request(method, path, body=body, headers=headers)
        except TransportTimeout:
            raise GatewayTimeout(
                "The payment processor did not answer in time.", status=504
            ) from None
        except TransportError:
            raise GatewayError("The payment processor cannot be reached right now.") from None
        if answer.status == 504:
            raise GatewayTimeout("The payment processor did not answer in time.", status=504)
        if answer.status >= 400:
            message = str(answer.data.get("error") or "The payment processor refused the request.")
            raise GatewayError(message, status=answer.status)
        return ProcessorSession.from_api(answer.data)

    def create_session(
        self,
        *,
        idempotency_key: str,
        order_ref: uuid.UUID,
        amount: Decimal,
        return_url: str,
        cardholder_name: str | None = None,
    ) -> ProcessorSession:
        body: dict[str, Any] = {
            "amount": str(usd(amount)),
            "currency": "USD",
            "order_ref": str(order_ref),
            "return_url": return_url,
        }
        if cardholder_name:
            body["cardholder_name"] = cardholder_name
        return self._call("POST", "/api/sessions", body=body, idempotency_key=idempotency_key)

    def fetch(self, reference: str) -> ProcessorSession:
        return self._call("GET", f"/api/sessions/{reference}")

    def capture(self, reference: str) -> ProcessorSession:
        return self._call("POST", f"/api/sessions/{reference}/capture")

    def expire(self, reference: str) -> ProcessorSession:
        return self._call("POST", f"/api/sessions/{reference}/expire")

    def void(self, reference: str) -> ProcessorSession:
        return self._call("POST", f"/api/sessions/{reference}/void")

    def refund(self, reference: str, *, amount: Decimal, idempotency_key: str) -> ProcessorSession:
        return self._call(
            "POST",
            f"/api/sessions/{reference}/refund",
            body={"amount": str(usd(amount))},
            idempotency_key=idempotency_key,
        )

    def verify_return(self, signed_reference: str) -> str | None:
        return sandbox_client.verify_reference(self.secret, signed_reference)

    # -- redaction requests after an erasure (issue 26; lookout.payments.redaction) ----------

    def _api(
        self, method: str, path: str, *, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {sandbox_client.api_key(self.secret)}", **headers}
        try:
            answer = self.transport.request(method, path, body=body, headers=headers)
        except TransportError:
            raise GatewayError("The payment processor cannot be reached right now.") from None
        if answer.status >= 400:
            raise GatewayError("The payment processor refused the request.", status=answer.status)
        return answer.data

    def request_redaction(self, body: dict[str, Any], signature_header: str) -> dict[str, Any]:
        """POST the store's signed request; the processor's answer (its id and status)."""
        data = self._api(
            "POST",
            "/api/redactions",
            body=body,
            headers={sandbox_client.REDACTION_HEADER: signature_header},
        )
        return _redaction_answer(data)

    def redaction_status(self, reference: str) -> dict[str, Any]:
        if not sandbox_client.REDACTION_ID.fullmatch(reference or ""):
            raise GatewayError("This is not the processor's redaction id.", status=400)
        return _redaction_answer(
            self._api("GET", f"/api/redactions/{reference}", body=None, headers={})
        )

    def verify_webhook(self, body: bytes, header: str, *, now: float) -> bool:
        return sandbox_client.verify_event(self.secret, body, header, now=now)


def _redaction_answer(data: dict[str, Any]) -> dict[str, Any]:
    """The sandbox processor's answer in the words of `sharing.redaction.PartnerAnswer`."""
    done = data.get("status") == "completed"
    return {
        "status": "confirmed" if done else "pending",
        "reference": str(data.get("id") or ""),
        "confirmed_at": data.get("completed_at") if done else None,
        "note": "",
    }


_shared: list[PaymentGateway] = []


def timeout_seconds() -> float:
    return float(getattr(settings, "LOOKOUT_PAYMENT_TIMEOUT_SECONDS", 10.0))


def configured_gateway() -> PaymentGateway:
    """The gateway the settings describe: LOOKOUT_PAYMENT_GATEWAY "stripe" (its keys
    required), else the sandbox, over HTTP or in-process."""
    choice = getattr(settings, "LOOKOUT_PAYMENT_GATEWAY", "sandbox")
    if choice == "stripe":
        return stripe_gateway()
    if choice != "sandbox":
        raise ImproperlyConfigured(
            f"LOOKOUT_PAYMENT_GATEWAY is {choice!r}; it must be 'sandbox' or 'stripe'."
        )
    transport: Transport
    if getattr(
        settings, "LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS", getattr(settings, "TESTING", False)
    ):
        # The processor runs in this process (tests, development): the one place the gateway
        # imports its package; over HTTP the store knows only its address and the secret.
        from sandbox_processor.config import default_processor

        transport = WsgiTransport(default_processor(), timeout=timeout_seconds())
    else:
        url = getattr(settings, "LOOKOUT_PAYMENT_PROCESSOR_URL", DEFAULT_PROCESSOR_URL)
        transport = HttpTransport(url, timeout=timeout_seconds())
    return SandboxGateway(transport=transport, secret=sandbox_client.shared_secret())


def stripe_gateway() -> PaymentGateway:
    """The Stripe gateway from LOOKOUT_STRIPE_SECRET_KEY and LOOKOUT_STRIPE_WEBHOOK_SECRET
    (LOOKOUT_STRIPE_API_BASE: another API address, localstripe in the tests); a clear error
    naming the missing setting, never its value, when one is empty."""
    from lookout.payments.stripe_gateway import StripeGateway

    missing = [
        name
        for name in ("LOOKOUT_STRIPE_SECRET_KEY", "LOOKOUT_STRIPE_WEBHOOK_SECRET")
        if not getattr(settings, name, "")
    ]
    if missing:
        raise ImproperlyConfigured(
            "LOOKOUT_PAYMENT_GATEWAY is 'stripe' but " + " and ".join(missing) + " is not set."
        )
    return StripeGateway(
        secret_key=settings.LOOKOUT_STRIPE_SECRET_KEY,
        webhook_secret=settings.LOOKOUT_STRIPE_WEBHOOK_SECRET,
        api_base=getattr(settings, "LOOKOUT_STRIPE_API_BASE", "") or None,
        timeout=timeout_seconds(),
        site_url=getattr(settings, "LOOKOUT_SITE_URL", ""),
    )


def get_gateway() -> PaymentGateway:
    """The gateway in use: one set by `use_gateway` (any thread), else the configured one."""
    if _shared:
        return _shared[-1]
    return configured_gateway()


@contextmanager
def use_gateway(gateway: PaymentGateway) -> Iterator[PaymentGateway]:
    """Use `gateway` for every call in the block, from every thread (tests, tools)."""
    _shared.append(gateway)
    try:
        yield gateway
    finally:
        _shared.remove(gateway)
