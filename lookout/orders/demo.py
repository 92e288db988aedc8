"""Demo data for checkout and orders: the sandbox carrier and sandbox payment processor as
partners with signed data agreements, so `make run` has a working checkout; then demo orders in
every state of an order's life (placed, paid, being prepared, late, shipped, delivered,
cancelled, expired, payment failed), made through the real services (see SCENARIOS).

DEMO ONLY, refused in production. Idempotent: a second run finds both partners, their
agreements and every demo order (by its fixed idempotency key) and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.catalog.models import Product, Structure
from lookout.orders import cancellation, services
from lookout.orders.models import Order, Status
from lookout.orders.services import DeliveryDetails
from lookout.shipping.carrier import SandboxCarrier
from sandbox_processor.shopper import submit_test_card

if TYPE_CHECKING:
    from lookout.accounts.models import User

CARRIER_NAME = SandboxCarrier.partner_name
PROCESSOR_NAME = "Sandbox Card Processor"
AGREEMENT_DAYS = 2 * 365


@transaction.atomic
def ensure_partner(*, name: str, kind: str, today: date | None = None) -> object:
    from lookout.sharing.models import Partner
    from lookout.sharing.selectors import valid_agreement
    from lookout.sharing.services import record_agreement, register_partner

    day = today or timezone.localdate()
    partner = Partner.objects.filter(name=name, kind=kind).first()
    if partner is None:
        partner = register_partner(name=name, kind=kind, actor=None)
    if valid_agreement(partner=partner, on=day) is None:
        record_agreement(
            partner=partner,
            signed_on=day - timedelta(days=1),
            expires_on=day + timedelta(days=AGREEMENT_DAYS),
            document_reference=f"DPA-SANDBOX-{kind.upper()}-{day:%Y%m%d}",
            actor=None,
        )
    return partner


def ensure_partners(*, today: date | None = None) -> None:
    ensure_partner(name=CARRIER_NAME, kind="carrier", today=today)
    ensure_partner(name=PROCESSOR_NAME, kind="payment_processor", today=today)


# --- demo orders in every state of their life ----------------------------------------------
#
# Each demo order is built the way a shopper, the processor, the warehouse, the carrier and
# after-sales would build it, through the same services (place_and_prepare, the sandbox
# processor's hosted page, finish_payment, ship_order, the carrier's signed webhook, the cancel
# and expiry services), so its history, audit entries, inbox messages and disclosures are the
# ones a real order has. Each has a fixed idempotency key: an order already there is left as it
# is, so a second `lookout demo` adds nothing.
#
# Backdating: only what a service lets its caller date is backdated. `transition(at=...)` dates
# the late order's payment 14 days ago (so its ship-by date is past); everything else,
# including that order's placed_at and its history, carries the time `lookout demo` ran, as
# `place_order` has no such parameter.

DEMO_KEY_PREFIX = "demo-order:"
SUCCESS_CARD = "4242 4242 4242 4242"  # the sandbox processor's published test cards
DECLINE_CARD = "4000 0000 0000 0002"
LATE_PAID_DAYS_AGO = 14  # ship-by is 3 business days after payment: well past, even with holidays
STAFF_CANCEL_REASON = "Demo: the customer phoned after-sales and asked to cancel."

# Invented people only: example.com addresses, obviously made-up names and streets, and
# 555-01xx phone numbers (reserved for fiction in North America).
DEMO_ADDRESS = {
    "country_code": "US",
    "street_address": "{n} Example Lane",
    "city": "DEMOVILLE",
    "country_area": "CA",
    "postal_code": "90001",
}
DEMO_RECIPIENTS = {
    "ann@example.com": ("Ann Example", "+12025550101"),
    "ben@example.com": ("Ben Example", "+12025550102"),
    "gus.guest@example.com": ("Gus Guest-Example", "+12025550103"),
    "greta.guest@example.com": ("Greta Guest-Example", "+12025550104"),
}
GUESTS = ("gus.guest@example.com", "greta.guest@example.com")


class DemoRefused(Exception):
    """Demo orders are never made in production (nor are the demo people they belong to)."""


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoRefused("Demo orders are never created in production.")


def demo_key(name: str) -> str:
    return DEMO_KEY_PREFIX + name


def existing(name: str) -> Order | None:
    """The demo order called `name`, if an earlier run made it."""
    return Order.objects.filter(idempotency_key=demo_key(name)).first()


@contextmanager
def sandbox_processor() -> Iterator[None]:
    """Talk to the sandbox processor in this process (no server runs while `make run` loads
    the demo); it keeps its sessions in the same file the served store's sandbox uses, so a
    demo payment can later be refunded from the running shop."""
    from lookout.payments.gateway import SandboxGateway, timeout_seconds, use_gateway
    from lookout.payments.sandbox_client import shared_secret
    from lookout.payments.transport import WsgiTransport
    from sandbox_processor.config import default_processor

    gateway = SandboxGateway(
        transport=WsgiTransport(default_processor(), timeout=timeout_seconds()),
        secret=shared_secret(),
    )
    with use_gateway(gateway):
        yield


def demo_user(email: str) -> User:
    from lookout.accounts.models import User
    from lookout.vault.blind_index import email_index

    user = User.objects.filter(email_index=email_index(email)).first()
    if user is None:
        raise DemoRefused(f"Demo account {email} is missing: lookout.accounts.demo runs first.")
    return user


def _delivery(email: str, *, guest: bool, house: int) -> DeliveryDetails:
    name, phone = DEMO_RECIPIENTS[email]
    address = dict(DEMO_ADDRESS, street_address=f"{house} Example Lane")
    return DeliveryDetails(
        name=name, address=address, country="US", phone=phone, email=email if guest else None
    )


def _products() -> list[Product]:
    """Products a demo order can take one unit of, in a fixed order (never a product with
    variants: one of its variants is bought)."""
    rows = Product.objects.filter(stock__gte=3).exclude(structure=Structure.PARENT)
    return list(rows.order_by("sku")[:40])


def place(name: str, *, buyer: str, product: Product, house: int) -> tuple[Order, str]:
    """A shopper checks out one unit of `product` and is sent to the processor's page: the
    order (placed, its payment reserved and the cardholder name disclosed) and that page."""
    from lookout.cart.services import add_to_cart, open_cart
    from lookout.orders.payment import begin_payment, place_and_prepare

    guest = buyer in GUESTS
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=product.sku, quantity=1)
    order, prepared = place_and_prepare(
        cart=cart,
        delivery=_delivery(buyer, guest=guest, house=house),
        idempotency_key=demo_key(name),
        user=None if guest else demo_user(buyer),
    )
    pay_url = begin_payment(order=order, return_url=_return_path(order), prepared=prepared)
    return order, pay_url


def _return_path(order: Order) -> str:
    from django.urls import reverse

    from lookout.orders.guest import return_token

    query = urlencode({"access": return_token(order=order)})
    return reverse("checkout:return", args=[order.id]) + "?" + query


def submit_card(pay_url: str, *, card: str) -> str:
    """Play the shopper on the sandbox processor's hosted page (its own WSGI app): type a test
    card and submit. The signed reference the processor hands back to the shop."""
    status, location = submit_test_card(pay_url, card=card)
    refs = parse_qs(urlsplit(location).query).get("ref")
    if not status.startswith("303") or not refs:
        raise DemoRefused(f"The sandbox processor did not take the card ({status}).")
    return refs[0]


def paid(name: str, *, buyer: str, product: Product, house: int) -> Order:
    """Placed and paid with the sandbox's success card, as the shopper's return page does."""
    from lookout.orders.payment import finish_payment

    order, pay_url = place(name, buyer=buyer, product=product, house=house)
    order, failure = finish_payment(
        order=order, signed_reference=submit_card(pay_url, card=SUCCESS_CARD)
    )
    if order.status != Status.PAID:
        raise DemoRefused(f"Demo order {name} was not paid: {failure}")
    return order


def paid_days_ago(name: str, *, buyer: str, product: Product, house: int, days: int) -> Order:
    """Paid `days` ago: the processor confirms the card as on the return page, and the order
    becomes paid through `services.transition(at=...)`, the dated form of `mark_paid`, so its
    ship-by date is counted from then."""
    from lookout.cart.models import CartLine
    from lookout.payments.services import confirm_payment

    order, pay_url = place(name, buyer=buyer, product=product, house=house)
    assert order.payment_id is not None
    payment = confirm_payment(
        payment_id=order.payment_id, signed_reference=submit_card(pay_url, card=SUCCESS_CARD)
    )
    if payment.status != "authorized":
        raise DemoRefused(f"Demo order {name} was not paid: {payment.status}")
    with transaction.atomic():
        order = services.lock_order(order)
        services.transition(
            order=order,
            to=Status.PAID,
            actor=None,
            at=timezone.now() - timedelta(days=days),
        )
        if order.cart_id is not None:
            CartLine.objects.filter(cart_id=order.cart_id).delete()
    return order


def shipped(name: str, *, buyer: str, product: Product, house: int) -> Order:
    """Paid, then picked, packed and handed to the sandbox carrier by the demo warehouse clerk
    (the label discloses the delivery details to the carrier; the payment is captured)."""
    from lookout.orders.fulfilment import ship_order

    order = paid(name, buyer=buyer, product=product, house=house)
    ship_order(order=order, actor=demo_user("warehouse@example.com"))
    order.refresh_from_db()
    return order


def delivered(name: str, *, buyer: str, product: Product, house: int) -> Order:
    """Shipped, then scanned in transit and delivered: two signed carrier webhooks."""
    from lookout.shipping.simulate import send_update

    order = shipped(name, buyer=buyer, product=product, house=house)
    tracking = order.shipment.tracking_number
    send_update(tracking_number=tracking, status="in_transit")
    send_update(tracking_number=tracking, status="delivered")
    order.refresh_from_db()
    return order


def _placed(name: str, **kw: Any) -> Order:
    return place(name, **kw)[0]


def _processing(name: str, **kw: Any) -> Order:
    return services.start_processing(
        order=paid(name, **kw), actor=demo_user("warehouse@example.com")
    )


def _late(name: str, **kw: Any) -> Order:
    return paid_days_ago(name, days=LATE_PAID_DAYS_AGO, **kw)


def _cancelled_by_customer(name: str, *, buyer: str, **kw: Any) -> Order:
    order = paid(name, buyer=buyer, **kw)  # the authorisation is voided
    return cancellation.cancel_by_customer(order=order, actor=demo_user(buyer))


def _cancelled_by_staff(name: str, **kw: Any) -> Order:
    order = paid(name, **kw)
    return cancellation.cancel_by_staff(
        order=order, actor=demo_user("after-sales@example.com"), reason=STAFF_CANCEL_REASON
    )


def _expired(name: str, **kw: Any) -> Order:
    """Sent to the processor's page and never paid: the scheduler's settle pass, run as it
    would run once the hold is over, closes the page and releases the order."""
    from lookout.orders.holds import hold_period, settle

    order = _placed(name, **kw)
    later = timezone.now() + hold_period() + timedelta(minutes=1)
    outcome = settle(order=order, now=later)
    if outcome != "expired":
        raise DemoRefused(f"Demo order {name} did not expire: {outcome}")
    order.refresh_from_db()
    return order


def _payment_failed(name: str, **kw: Any) -> Order:
    from lookout.orders.payment import finish_payment

    order, pay_url = place(name, **kw)
    order, _ = finish_payment(order=order, signed_reference=submit_card(pay_url, card=DECLINE_CARD))
    return order


# name: (how it is made, whose it is). Guests and both demo customers take part.
SCENARIOS: dict[str, tuple[Callable[..., Order], str]] = {
    "placed": (_placed, "ann@example.com"),
    "paid": (paid, "ben@example.com"),
    "processing": (_processing, "gus.guest@example.com"),
    "late": (_late, "greta.guest@example.com"),
    "shipped": (shipped, "ann@example.com"),
    "delivered": (delivered, "ben@example.com"),
    "delivered-guest": (delivered, "gus.guest@example.com"),
    "cancelled": (_cancelled_by_customer, "ben@example.com"),
    "cancelled-by-staff": (_cancelled_by_staff, "greta.guest@example.com"),
    "expired": (_expired, "gus.guest@example.com"),
    "payment-failed": (_payment_failed, "ann@example.com"),
}


def make(
    name: str,
    how: Callable[..., Order],
    *,
    buyer: str,
    progress: Callable[[str], None],
    state: Callable[[Order], str] | None = None,
    product: Product | None = None,
) -> Order | None:
    """Make the demo order `name` unless an earlier run did; the order made, or None.
    `state` words the progress line (the order's status unless given); `product` is what it
    buys (else the first product no demo order took yet)."""
    earlier = existing(name)
    if earlier is not None:
        shown = state(earlier) if state else earlier.status
        progress(f"order {name}: already there ({earlier.number}, {shown})")
        return None
    taken = set(
        Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).values_list(
            "lines__product_id", flat=True
        )
    )
    choices = [product] if product is not None else []
    choices = choices or [p for p in _products() if p.pk not in taken] or _products()
    if not choices:
        raise DemoRefused("No product has stock for the demo orders: load the catalog first.")
    made = Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).count()
    order = how(name, buyer=buyer, product=choices[0], house=10 + made)
    order.refresh_from_db()
    who = "guest" if buyer in GUESTS else buyer.split("@")[0]
    progress(f"order {name}: {order.number} ({who}), {state(order) if state else order.status}")
    return order


def load_orders(*, progress: Callable[[str], None]) -> None:
    refuse_in_production()
    with sandbox_processor():
        for name, (how, buyer) in SCENARIOS.items():
            make(name, how, buyer=buyer, progress=progress)


def load(*, progress: Callable[[str], None]) -> None:
    ensure_partners()
    progress(f"checkout: partners {CARRIER_NAME!r} and {PROCESSOR_NAME!r} with signed agreements")
    load_orders(progress=progress)
