"""A 429 from the store's own limits is a page for people on the HTML checkout, and Problem JSON
on the API (issue 22, item 3): one visitor may hold only a few unpaid orders (orders.limits)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lookout.orders.testing import make_cart, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
US = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _place_on_the_page(client: Client) -> tuple[int, str]:
    _, token = make_cart(make_product(stock=5))
    page = client.get(f"/checkout/{token}/?country=US").content.decode()
    match = FORM_TOKEN.search(page)
    assert match
    answer = client.post(f"/checkout/{token}/", {**US, "form_token": match[1]})
    return answer.status_code, answer.content.decode()


def test_the_fourth_unpaid_order_on_the_page_answers_429_saying_what_to_do() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        status, _ = _place_on_the_page(client)
        assert status == 302  # to the payment page
    status, page = _place_on_the_page(client)
    assert status == 429
    assert "already 3 orders waiting for payment" in page
    assert "Pay for one of them or wait" in page
    assert "Privacy Policy" in page and "Traceback" not in page  # the shop's own page


def test_the_api_answers_the_same_refusal_as_problem_json() -> None:
    client = Client(REMOTE_ADDR="203.0.113.10")
    answers = []
    for n in range(4):
        _, cart = make_cart(make_product(stock=5))
        answers.append(
            client.post(
                "/api/v1/checkout/orders",
                {"cart": cart, "idempotency_key": f"refusal-{n}", "delivery": US},
                content_type="application/json",
                headers={"Accept": "text/html"},
            )
        )
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[3]["Content-Type"].startswith("application/json")
    assert "already 3 orders waiting for payment" in answers[3].json()["detail"]
