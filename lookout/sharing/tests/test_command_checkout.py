"""What docs/operations.md tells an operator to run before the first order: with no payment
processor under a data agreement every checkout answers 503; after `lookout partners register`
and `lookout partners agreement` for the processor and the carrier, an order is placed, paid and
labelled. The partners are registered the way the demo's are (lookout.orders.demo), but through
the operator's command, under the operator's own names and document references."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox, policies  # noqa: F401
from lookout.shipping.carrier import SandboxCarrier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _partners(*args: str) -> str:
    out = StringIO()
    call_command("partners", *args, stdout=out)
    return out.getvalue()


def _checkout(key: str) -> tuple[int, dict]:
    _, token = make_cart(make_product(stock=5))
    body = {"cart": token, "idempotency_key": key, "delivery": DELIVERY}
    response = Client().post("/api/v1/checkout/orders", body, content_type="application/json")
    return response.status_code, response.json()


def test_the_operators_partner_commands_make_checkout_work() -> None:
    # given a fresh production database: no partner at all
    # when a customer checks out, then the store may not tell any processor: 503
    status, _ = _checkout("before-partners-1")
    assert status == 503

    # when the operator registers the processor and the carrier with their signed agreements
    signed = timezone.localdate()
    expires = signed + timedelta(days=730)
    for name, kind, reference in (
        ("Acme Payments", "payment_processor", "DPA-ACME-PAY-1"),
        ("Acme Parcels", "carrier", "DPA-ACME-SHIP-1"),
    ):
        _partners("register", name, "--kind", kind)
        said = _partners(
            "agreement", name, "--signed", f"{signed:%Y-%m-%d}",
            "--expires", f"{expires:%Y-%m-%d}", "--reference", reference,
        )  # fmt: skip
        assert "in force now" in said
    assert "NO AGREEMENT" not in _partners("list")

    # then a checkout is placed (201) and paid on the processor's page
    status, order = _checkout("after-partners-1")
    assert status == 201, order
    back = pay_on_sandbox(order["payment_url"])
    assert Client().get(back).status_code == 200  # the browser comes back: the store settles
    placed = Order.objects.get(number=order["number"])
    assert placed.status == Status.PAID
    # and the warehouse's label goes to the registered carrier
    label = SandboxCarrier().create_label(order=placed)
    assert label.carrier == "Acme Parcels"
