"""Reviews of a product with variants (docs/decisions/0046-product-variants.md): a review is of
the product, whichever variant the buyer received, and the order's link leads there."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from lookout.catalog.tests.factories import product_with_variants
from lookout.orders.models import Status
from lookout.reviews.models import Review
from lookout.reviews.tests.conftest import review_form, write_url

pytestmark = pytest.mark.django_db


def _delivered(user: Any, product: Any) -> Any:
    from lookout.accounts.services import create_account
    from lookout.orders.fulfilment import ship_order
    from lookout.orders.payment import begin_payment, finish_payment
    from lookout.orders.services import mark_delivered
    from lookout.orders.testing import pay_on_sandbox, place

    clerk = create_account(
        email=f"clerk.{secrets.token_hex(3)}@example.com",
        password="staff-long-pass-1",
        role="warehouse",
    )
    order = place(product, user=user)
    back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, failure = finish_payment(order=order, signed_reference=unquote(ref))
    assert order.status == Status.PAID, failure
    ship_order(order=order, actor=clerk)
    return mark_delivered(order=order)


def test_a_buyer_of_a_variant_reviews_the_product(customer, partners, policies) -> None:
    # given a customer whose order of the white variant of a doorbell was delivered
    parent, (_black, white) = product_with_variants(name="Kestrel Doorbell Pro")
    user, client = customer()
    order = _delivered(user, white)
    # then the order's page links to the review of the product (not of the variant)
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="{write_url(parent)}"' in page and write_url(white) not in page
    # and the review, sent from the variant's own address too, is the product's
    sent = client.post(write_url(white), review_form())
    assert sent.status_code == 302
    review = Review.objects.get(subject=user.subject)
    assert (review.product_id, review.order_id) == (parent.pk, order.pk)


def test_a_buyer_of_another_product_still_cannot_review_it(customer, partners, policies) -> None:
    parent, _ = product_with_variants(name="Kestrel Doorbell Pro")
    other, _ = product_with_variants(name="Nightjar Doorbell")
    user, client = customer()
    _delivered(user, other.variants.first())
    assert client.get(write_url(parent)).status_code == 403
