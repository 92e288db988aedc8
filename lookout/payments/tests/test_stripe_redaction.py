"""The Stripe gateway's part in an erasure (C6.7, issue 26): Stripe's own deletion call.

Against localstripe, started as for the gateway's other tests (same fixture, same skip rule).
A payment whose Checkout Session belongs to a Customer has that Customer deleted with
`DELETE /v1/customers/{id}`, Stripe's deletion call, and the request is confirmed by Stripe's
answer. A payment made without a Customer (the store's own sessions create none) keeps its
billing details where Stripe's API cannot delete them: the request is left to the privacy
officer, saying so, never reported as confirmed.
"""

from __future__ import annotations

import pytest
import requests

from lookout.orders.testing import partners, policies  # noqa: F401
from lookout.payments.redaction import ProcessorChannel
from lookout.payments.tests.test_stripe_gateway import (  # noqa: F401
    _auth,
    _checkout,
    _pay_on_stripe,
    _payment,
    _sent_to_stripe,
    gateway,
    localstripe,
)
from lookout.sharing.redaction import Outgoing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _session_with_customer(gateway, localstripe: str) -> tuple[str, str]:  # noqa: F811
    """A paid Checkout Session that belongs to a Stripe Customer (as one made from Stripe's
    dashboard, or by a store that keeps customers at Stripe, would)."""
    customer = gateway.client.v1.customers.create(params={"description": "returning buyer"})
    session = gateway.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer.id,
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 4200,
                        "product_data": {"name": "Lookout order"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {"capture_method": "manual"},
            "success_url": "http://testserver/back?ref={CHECKOUT_SESSION_ID}",
        }
    )
    _pay_on_stripe(localstripe, str(session.url))
    return str(session.id), str(customer.id)


def _request(records: list[str]) -> Outgoing:
    return Outgoing(
        body={"type": "lookout-redaction-request", "request": "r1", "records": records},
        signature_header="",
        records=records,
    )


def _customer_status(localstripe: str, customer: str) -> int:  # noqa: F811
    return requests.get(
        f"{localstripe}/v1/customers/{customer}", headers=_auth(), timeout=10
    ).status_code


@pytest.mark.commitment("C6.7")
def test_stripe_deletes_the_customer_behind_the_persons_payment(gateway, localstripe) -> None:  # noqa: F811
    session, customer = _session_with_customer(gateway, localstripe)
    assert _customer_status(localstripe, customer) == 200

    # when the processor's redaction request goes through the Stripe gateway
    answer = ProcessorChannel().send(None, _request([session]))

    # then Stripe's own deletion call was made, and its answer is the confirmation
    assert answer.status == "confirmed" and answer.reference == "stripe:customers-deleted:1"
    deletes = [r for r in _sent_to_stripe(localstripe) if r["method"] == "DELETE"]
    assert [r["path"] for r in deletes] == [f"/v1/customers/{customer}"]
    assert _customer_status(localstripe, customer) == 404
    # a retry after a lost answer finds it gone and confirms again, without failing
    assert ProcessorChannel().send(None, _request([session])).status == "confirmed"


@pytest.mark.commitment("C6.7")
def test_a_payment_without_a_customer_is_left_to_the_officer_not_confirmed(
    gateway,  # noqa: F811
    localstripe,  # noqa: F811
) -> None:
    # given a payment made through the store's own checkout (no Customer at Stripe)
    order, pay_url = _checkout("stripe-redaction-guest")
    _pay_on_stripe(localstripe, pay_url)
    reference = str(_payment(order).processor_reference)

    answer = ProcessorChannel().send(None, _request([reference]))

    # then nothing is claimed: the officer is told to use Stripe's privacy request
    assert answer.status == "by_hand"
    assert "privacy request" in answer.note
    assert not [
        r
        for r in _sent_to_stripe(localstripe)
        if r["method"] == "DELETE" and reference in r["path"]
    ]
