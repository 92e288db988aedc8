"""The Stripe gateway end to end against localstripe, a stateful Stripe API server (issue 20).

localstripe runs as its own process, started here on a free port and stopped at the end
(`localstripe_server.py`: localstripe itself plus the Checkout Sessions it lacks, decision
0038). The store talks to it with the official `stripe` SDK, exactly as it would talk to
Stripe; only the API address differs. The buyer's part on Stripe's hosted page (typing the
card) is played by the test against localstripe, never through the store: that page is not
the store's. Orders go through the real checkout API, the real return page, the real ship
and cancel code and the real webhook endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.orders.cancellation import cancel_order
from lookout.orders.fulfilment import ship_order
from lookout.orders.holds import hold_period, settle
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, partners, policies, staff  # noqa: F401
from lookout.payments.gateway import GatewayError, GatewayTimeout, configured_gateway, use_gateway
from lookout.payments.models import Payment
from lookout.payments.services import refund
from lookout.payments.stripe_gateway import StripeGateway
from lookout.testing.parts import missing
from lookout.testing.raw import raw_database_bytes

SECRET_KEY = "sk_test_lookout_localstripe"  # localstripe accepts any sk_ key
WEBHOOK_SECRET = "whsec_lookout_localstripe_test"
SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000341"  # localstripe: attaches, then the charge is declined
CHECKOUT = "/api/v1/checkout/orders"
WEBHOOK = "/orders/webhooks/payments/"
DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada.stripe@example.com",
}
LAUNCHER = Path(__file__).with_name("localstripe_server.py")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

# A card that expires five years from today: a fixed year stops working once it is past.
EXP_YEAR = date.today().year + 5


# -- localstripe, started by the tests --------------------------------------------------------


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory) -> Iterator[str]:
    """localstripe's base URL; its process is stopped when the session ends. Missing
    localstripe fails under CI (the dev extras install it) and skips elsewhere."""
    try:
        import localstripe as _
    except ImportError:
        missing("localstripe", "pip install -e '.[dev]' installs it")
    log = tmp_path_factory.mktemp("localstripe") / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER)], stdout=subprocess.PIPE, stderr=errors, text=True
        )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"localstripe did not start: {log.read_text()[-2000:]}"
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(base + "/_lookout/requests", headers=_auth(), timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {SECRET_KEY}"}


@pytest.fixture
def gateway(localstripe) -> Iterator[StripeGateway]:
    gateway = StripeGateway(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe,
        timeout=10,
        site_url="http://testserver",
    )
    with use_gateway(gateway):
        yield gateway


def _at_stripe(localstripe: str, path: str) -> dict[str, Any]:
    answer = requests.get(localstripe + path, headers=_auth(), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _pay_on_stripe(localstripe: str, pay_url: str, card: str = SUCCESS_CARD) -> dict[str, Any]:
    """The buyer on Stripe's page: type the card; Stripe answers where it sends the browser."""
    session = urlsplit(pay_url).path.rsplit("/", 1)[-1]
    answer = requests.post(
        f"{localstripe}/_lookout/checkout/{session}/pay",
        data={"number": card, "exp_month": "12", "exp_year": str(EXP_YEAR), "cvc": "123"},
        headers=_auth(),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _sent_to_stripe(localstripe: str) -> list[dict[str, str]]:
    return _at_stripe(localstripe, "/_lookout/requests")  # type: ignore[return-value]


# -- the store's side --------------------------------------------------------------------------


def _checkout(key: str, stock: int = 3) -> tuple[Order, str]:
    product = make_product(stock=stock)
    _, cart = make_cart(product, 1)
    answer = Client().post(
        CHECKOUT,
        {"cart": cart, "idempotency_key": key, "delivery": DELIVERY},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return Order.objects.get(number=answer.json()["number"]), answer.json()["payment_url"]


def _come_back(redirect: str) -> Any:
    """The browser arrives at the store's return page, from Stripe."""
    parts = urlsplit(redirect)
    assert parts.netloc == "testserver", redirect
    return Client().get(f"{parts.path}?{parts.query}")


def _payment(order: Order) -> Payment:
    order.refresh_from_db()
    assert order.payment_id is not None
    return Payment.objects.get(pk=order.payment_id)


def _intent(localstripe: str, payment: Payment) -> dict[str, Any]:
    return _at_stripe(localstripe, f"/v1/payment_intents/{payment.processor_token}")


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.commitment("C2.3", "C7.5")
def test_pay_on_stripe_come_back_ship_and_refund(gateway, localstripe, staff) -> None:  # noqa: F811
    # given an order placed through the real checkout, with Stripe as the processor
    order, pay_url = _checkout("stripe-e2e-1")
    # then the buyer is sent to Stripe's page, not to a page of the store
    assert pay_url.startswith(localstripe + "/_lookout/checkout/cs_test_")
    payment = _payment(order)
    assert payment.processor_reference and pay_url.endswith(payment.processor_reference)
    session = _at_stripe(localstripe, f"/v1/checkout/sessions/{payment.processor_reference}")
    assert (session["amount_total"], session["currency"]) == (int(order.total * 100), "usd")
    assert session["metadata"] == {"order_ref": str(order.id)}

    # when the buyer pays on Stripe's page and Stripe sends the browser back
    back = _pay_on_stripe(localstripe, pay_url)
    assert back["redirect"].endswith(f"&ref={payment.processor_reference}")
    page = _come_back(back["redirect"])

    # then the order is paid: the card is authorized at Stripe, not yet charged
    assert page.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.PAID
    payment = _payment(order)
    assert (payment.status, payment.authorized_amount) == (Payment.Status.AUTHORIZED, order.total)
    assert (payment.brand, payment.last4, payment.exp_month, payment.exp_year) == (
        "visa",
        "4242",
        12,
        EXP_YEAR,
    )
    assert payment.processor_token.startswith("pi_")
    intent = _intent(localstripe, payment)
    assert (intent["status"], intent["capture_method"]) == ("requires_capture", "manual")

    # when the warehouse ships the parcel
    clerk, _ = staff("warehouse")
    ship_order(order=order, actor=clerk)

    # then the money is taken at Stripe, and the store's payment says so
    payment = _payment(order)
    assert (payment.status, payment.captured_amount) == (Payment.Status.CAPTURED, order.total)
    intent = _intent(localstripe, payment)
    assert intent["status"] == "succeeded"
    assert intent["latest_charge"]["captured"] is True

    # when after-sales refunds part, then the rest
    refund(payment=payment, amount=Decimal("10.00"), actor=clerk, idempotency_key="part-1")
    charge = _intent(localstripe, payment)["latest_charge"]
    assert charge["amount_refunded"] == 1000
    payment = refund(payment=_payment(order), amount=order.total - 10, actor=clerk)
    assert payment.status == Payment.Status.REFUNDED
    assert _intent(localstripe, payment)["latest_charge"]["amount_refunded"] == int(
        order.total * 100
    )

    # and every call that changed something carried the store's idempotency key
    reference = payment.processor_reference
    posts = [r for r in _sent_to_stripe(localstripe) if r["method"] == "POST"]
    assert any(
        r["path"] == "/v1/checkout/sessions" and r["key"] == f"payment-{payment.pk}" for r in posts
    )
    capture = f"/v1/payment_intents/{payment.processor_token}/capture"
    assert any(r["path"] == capture and r["key"] == f"capture-{reference}" for r in posts)
    assert any(r["path"] == "/v1/refunds" and r["key"] == "part-1" for r in posts)


@pytest.mark.commitment("C5.3")
def test_stripe_is_told_no_personal_data_and_the_name_is_disclosed_through_the_ledger(
    gateway, localstripe
) -> None:
    from lookout.sharing.models import Disclosure

    order, _ = _checkout("stripe-ledger-1")
    # the processor's disclosure is in the ledger, as with the sandbox (C5.x)
    disclosed = Disclosure.objects.filter(partner__kind="payment_processor")
    assert disclosed.count() == 1
    assert disclosed.get().fields == ["orders.Delivery.name"]
    # and what actually went to Stripe holds no name, email or address at all
    sent = "\n".join(r["body"] for r in _sent_to_stripe(localstripe))
    for personal in ("Ada", "Lovelace", "ada.stripe", "Amphitheatre", "94043", "6505550123"):
        assert personal not in sent
    assert str(order.id) in sent  # the order's reference, which identifies no one


def test_a_declined_card_leaves_stripe_page_open_and_the_order_waiting(
    gateway, localstripe
) -> None:
    order, pay_url = _checkout("stripe-decline-1")
    back = _pay_on_stripe(localstripe, pay_url, card=DECLINE_CARD)
    # Stripe's page shows the decline and stays open for another card
    assert back["status"] == "open"
    # a buyer who comes back anyway (Stripe's back link) is told the payment is not complete
    page = _come_back(back["redirect"])
    assert page.status_code == 400
    order.refresh_from_db()
    assert (order.status, _payment(order).status) == (Status.PLACED, Payment.Status.CREATED)
    # a good card afterwards still pays the same session
    page = _come_back(_pay_on_stripe(localstripe, pay_url)["redirect"])
    order.refresh_from_db()
    assert (page.status_code, order.status) == (200, Status.PAID)


def test_cancelling_a_paid_order_releases_the_authorization_at_stripe(gateway, localstripe) -> None:
    order, pay_url = _checkout("stripe-void-1")
    _come_back(_pay_on_stripe(localstripe, pay_url)["redirect"])
    order.refresh_from_db()
    assert order.status == Status.PAID

    cancel_order(order=order, actor=None, note="changed my mind")

    payment = _payment(order)
    assert payment.status == Payment.Status.VOIDED
    intent = _intent(localstripe, payment)
    assert intent["status"] == "canceled"
    assert any(
        r["path"] == f"/v1/payment_intents/{payment.processor_token}/cancel"
        and r["key"] == f"void-{payment.processor_reference}"
        for r in _sent_to_stripe(localstripe)
    )
    # a capture after that is refused by Stripe's state, and nothing is taken
    with pytest.raises(Exception, match="authorized"):
        gateway.capture(str(payment.processor_reference))
    assert _intent(localstripe, payment)["status"] == "canceled"


def test_an_unpaid_order_past_its_hold_closes_stripe_page(gateway, localstripe) -> None:
    order, _ = _checkout("stripe-expire-1")
    # when the hold ends before the buyer paid
    settle(order=order, now=order.placed_at + hold_period() * 2)

    # then Stripe's page is closed, the order expired, and a card typed now is refused there
    order.refresh_from_db()
    payment = _payment(order)
    assert order.status == Status.EXPIRED
    session = _at_stripe(localstripe, f"/v1/checkout/sessions/{payment.processor_reference}")
    assert session["status"] == "expired"
    late = requests.post(
        f"{localstripe}/_lookout/checkout/{payment.processor_reference}/pay",
        data={"number": SUCCESS_CARD, "exp_month": "12", "exp_year": str(EXP_YEAR), "cvc": "123"},
        headers=_auth(),
        timeout=10,
    )
    assert late.status_code == 400
    assert session.get("payment_intent") is None


# -- webhooks, signed by localstripe ----------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhooks_from_stripe(localstripe) -> Iterator[list[tuple[bytes, str]]]:
    """What localstripe sends to the store's webhook address, signed with the secret."""
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK}"
    answer = requests.post(
        f"{localstripe}/_config/webhooks/lookout",
        data={"url": url, "secret": WEBHOOK_SECRET},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    yield _Receiver.received
    requests.post(
        f"{localstripe}/_config/webhooks/lookout",
        data={"url": "http://127.0.0.1:9/", "secret": "none", "events[]": "none"},
        timeout=10,
    )
    server.shutdown()
    server.server_close()


def _wait_for(received: list[tuple[bytes, str]], kind: str, about: str) -> tuple[bytes, str]:
    """The `kind` event localstripe sent about object `about` (it waits a second first)."""
    for _ in range(200):
        for body, header in list(received):
            event = json.loads(body)
            if (event["type"], event["data"]["object"]["id"]) == (kind, about):
                return body, header
        time.sleep(0.05)
    raise AssertionError(f"localstripe sent no {kind} event about {about}")


def _deliver(body: bytes, header: str) -> Any:
    return Client().post(
        WEBHOOK, data=body, content_type="application/json", headers={"Stripe-Signature": header}
    )


def test_a_buyer_who_never_comes_back_is_paid_by_stripe_signed_webhook(
    gateway, localstripe, webhooks_from_stripe
) -> None:
    order, pay_url = _checkout("stripe-webhook-1")
    # the buyer pays on Stripe's page and closes the tab
    _pay_on_stripe(localstripe, pay_url)
    reference = str(_payment(order).processor_reference)
    body, header = _wait_for(webhooks_from_stripe, "checkout.session.completed", reference)
    assert header.startswith("t=") and ",v1=" in header

    # a forged or tampered delivery is refused and changes nothing
    forged = body.replace(b"complete", b"completE")
    assert _deliver(forged, header).status_code == 401
    assert _deliver(body, header.replace("v1=", "v1=0")).status_code == 401
    assert _deliver(body, "").status_code == 401
    old = int(time.time()) - 3600
    assert _deliver(body, f"t={old},{header.split(',', 1)[1]}").status_code == 401
    order.refresh_from_db()
    assert order.status == Status.PLACED

    # Stripe's own delivery pays the order, once
    answer = _deliver(body, header)
    assert answer.status_code == 200, answer.content
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert _payment(order).status == Payment.Status.AUTHORIZED
    again = _deliver(body, header)
    assert (again.status_code, again.json().get("repeat")) == (200, True)


def test_a_refund_made_in_stripe_dashboard_reaches_the_store_by_webhook(
    gateway,
    localstripe,
    webhooks_from_stripe,
    staff,  # noqa: F811
) -> None:
    order, pay_url = _checkout("stripe-webhook-2")
    _come_back(_pay_on_stripe(localstripe, pay_url)["redirect"])
    clerk, _ = staff("warehouse")
    ship_order(order=order, actor=clerk)
    payment = _payment(order)
    # someone refunds at Stripe directly (the store did not ask)
    made = requests.post(
        f"{localstripe}/v1/refunds",
        data={"payment_intent": payment.processor_token, "amount": "500"},
        headers=_auth(),
        timeout=10,
    )
    assert made.status_code == 200, made.text
    # localstripe announces the capture (payment_intent.succeeded): the event names only the
    # PaymentIntent, and the store finds its session and takes the refund over
    body, header = _wait_for(
        webhooks_from_stripe, "payment_intent.succeeded", payment.processor_token
    )
    assert _deliver(body, header).status_code == 200
    payment = _payment(order)
    assert (payment.captured_amount, payment.refunded_amount) == (order.total, Decimal("5.00"))


# -- Stripe unreachable ------------------------------------------------------------------------


@pytest.fixture
def silent_stripe() -> Iterator[str]:
    """An address that accepts connections and never answers, as a hung Stripe would."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_stripe_that_does_not_answer_is_a_clear_503_and_takes_nothing(silent_stripe) -> None:
    hung = StripeGateway(
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=silent_stripe, timeout=0.3
    )
    with pytest.raises(GatewayTimeout):
        hung.fetch("cs_test_anything")
    with use_gateway(hung):
        product = make_product(stock=3)
        _, cart = make_cart(product, 1)
        answer = Client().post(
            CHECKOUT,
            {"cart": cart, "idempotency_key": "stripe-hung-1", "delivery": DELIVERY},
            content_type="application/json",
        )
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json()["detail"]
    assert not Payment.objects.filter(processor_reference__isnull=False).exists()


def test_a_stripe_nobody_listens_at_is_a_gateway_error_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gone = StripeGateway(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=closed)
    with pytest.raises(GatewayError) as failed:
        gone.capture("cs_test_anything")
    assert not isinstance(failed.value, GatewayTimeout)
    assert SECRET_KEY not in failed.value.message


# -- configuration -----------------------------------------------------------------------------


def test_settings_choose_stripe_only_with_both_keys(localstripe) -> None:
    with override_settings(
        LOOKOUT_PAYMENT_GATEWAY="stripe",
        LOOKOUT_STRIPE_SECRET_KEY=SECRET_KEY,
        LOOKOUT_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOOKOUT_STRIPE_API_BASE=localstripe,
    ):
        assert isinstance(configured_gateway(), StripeGateway)
        assert SECRET_KEY not in repr(configured_gateway())
    with (
        override_settings(
            LOOKOUT_PAYMENT_GATEWAY="stripe",
            LOOKOUT_STRIPE_SECRET_KEY=SECRET_KEY,
            LOOKOUT_STRIPE_WEBHOOK_SECRET="",
        ),
        pytest.raises(ImproperlyConfigured, match="LOOKOUT_STRIPE_WEBHOOK_SECRET") as refused,
    ):
        configured_gateway()
    assert SECRET_KEY not in str(refused.value)
    with (
        override_settings(LOOKOUT_PAYMENT_GATEWAY="paypal"),
        pytest.raises(ImproperlyConfigured, match="'sandbox' or 'stripe'"),
    ):
        configured_gateway()
    with override_settings(LOOKOUT_PAYMENT_GATEWAY="sandbox"):
        assert not isinstance(configured_gateway(), StripeGateway)


@pytest.mark.parametrize(
    ("gateway_setting", "webhook_secret"),
    [("stripe", ""), ("stripe", WEBHOOK_SECRET), ("paypal", "")],
)
def test_the_store_does_not_start_with_stripe_half_configured(gateway_setting, webhook_secret):
    environment = {
        **os.environ,
        "LOOKOUT_ENV": "test",
        "LOOKOUT_PAYMENT_GATEWAY": gateway_setting,
        "LOOKOUT_STRIPE_SECRET_KEY": SECRET_KEY,
        "LOOKOUT_STRIPE_WEBHOOK_SECRET": webhook_secret,
    }
    started = subprocess.run(
        [sys.executable, "-c", "import lookout.settings"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if gateway_setting == "stripe" and webhook_secret:
        assert started.returncode == 0, started.stderr
        return
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert "LOOKOUT_STRIPE_WEBHOOK_SECRET" in started.stderr
    assert SECRET_KEY not in started.stderr


# -- C2.3: no card number in the store ----------------------------------------------------------


@pytest.mark.commitment("C2.3")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_no_card_number_reaches_the_store_paying_with_stripe(gateway, localstripe, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    order, pay_url = _checkout("stripe-card-1")
    back = _pay_on_stripe(localstripe, pay_url)["redirect"]
    _come_back(back)
    order.refresh_from_db()
    assert order.status == Status.PAID
    payment = _payment(order)
    stored = raw_database_bytes()
    # the search would prove nothing if it did not see the payment's own row
    assert str(payment.processor_reference).encode() in stored
    assert payment.processor_token.encode() in stored
    assert SUCCESS_CARD.encode() not in stored
    assert b"4242 4242 4242 4242" not in stored
    # nor did the store send or receive it: Stripe's records of the store's calls lack it
    assert SUCCESS_CARD not in json.dumps(_sent_to_stripe(localstripe))
    # and the logs hold neither the card nor the guest's access token from the return address
    access = parse_qs(urlsplit(back).query)["access"][0]
    encoded = urlsplit(back).query.split("access=", 1)[1].split("&", 1)[0]
    assert caplog.records, "nothing was logged: the log search would prove nothing"
    assert SUCCESS_CARD not in caplog.text
    assert access not in caplog.text
    assert encoded not in caplog.text
