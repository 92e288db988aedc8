"""Only a verified buyer reviews, once per product, with clear refusals (issue 24, item 4)."""

from __future__ import annotations

import pytest

from lookout.reviews.models import Review, State
from lookout.reviews.tests.conftest import product_of, review_form, write_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def test_a_non_buyer_can_neither_open_the_form_nor_send_a_review(customer, buyer) -> None:
    _, _, order = buyer()
    product = product_of(order)
    stranger, client = customer()

    page = client.get(write_url(product))
    assert page.status_code == 403
    assert "whose order with this product was delivered" in page.content.decode()
    assert 'id="review-form"' not in page.content.decode()

    sent = client.post(write_url(product), review_form())
    assert sent.status_code == 403
    assert not Review.objects.filter(subject=stranger.subject).exists()


def test_a_buyer_whose_order_is_not_delivered_cannot_review(customer) -> None:
    from lookout.returns.testing import paid_order

    user, client = customer()
    order = paid_order(user=user)  # paid, not yet shipped or delivered
    product = product_of(order)

    assert client.get(write_url(product)).status_code == 403
    assert client.post(write_url(product), review_form()).status_code == 403
    assert not Review.objects.filter(subject=user.subject).exists()


def test_a_visitor_is_sent_to_sign_in(buyer) -> None:
    from django.test import Client

    _, _, order = buyer()
    page = Client().get(write_url(product_of(order)))
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert Client().post(write_url(product_of(order)), review_form()).status_code == 302
    assert not Review.objects.exists()


def test_a_delivered_buyer_reviews_once_under_a_name_they_choose(buyer) -> None:
    user, client, order = buyer()
    product = product_of(order)

    page = client.get(write_url(product)).content.decode()
    # the suggested name: the recipient's first initial and the country, read through the gate
    assert 'value="A., US"' in page
    assert order.number in page

    sent = client.post(write_url(product), review_form())
    assert sent.status_code == 302 and sent["Location"].startswith("/reviews/mine/")
    review = Review.objects.get(subject=user.subject)
    assert (review.product_id, review.order_id, review.stars) == (product.pk, order.pk, 4)
    assert review.state == State.PENDING

    # a second review of the same product is refused, on the page and on POST
    again = client.get(write_url(product))
    assert again.status_code == 409 and "already reviewed" in again.content.decode()
    twice = client.post(write_url(product), review_form(stars="1"))
    assert twice.status_code == 409
    assert Review.objects.filter(subject=user.subject).count() == 1

    mine = client.get("/reviews/mine/").content.decode()
    assert "Sharp picture at night" in mine and "Waiting for moderation" in mine


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stars": "0"}, "choose from 1 to 5 stars"),
        ({"stars": "six"}, "choose from 1 to 5 stars"),
        ({"body": "Too short"}, "at least 10 characters"),
        ({"body": "x" * 3001}, "at most 3000 characters"),
        ({"pseudonym": "   "}, "write the name to show"),
        ({"agree": ""}, "tick that we may publish"),
    ],
)
def test_form_errors_are_named_and_nothing_is_stored(buyer, change, message) -> None:
    user, client, order = buyer()
    page = client.post(write_url(product_of(order)), review_form(**change))
    assert page.status_code == 400
    assert message in page.content.decode().lower()
    assert 'id="review-form"' in page.content.decode()  # the form again, to correct
    assert not Review.objects.filter(subject=user.subject).exists()


def test_sending_is_rate_limited(buyer, settings) -> None:
    settings.LOOKOUT_REVIEW_LIMIT = 2
    user, client, order = buyer()
    url = write_url(product_of(order))
    assert client.post(url, review_form(stars="9")).status_code == 400
    assert client.post(url, review_form(stars="9")).status_code == 400
    refused = client.post(url, review_form())
    assert refused.status_code == 429
    assert "Too many reviews sent" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert not Review.objects.filter(subject=user.subject).exists()


def test_staff_accounts_review_nothing(staff) -> None:
    from lookout.orders.testing import make_product

    _, desk = staff("after_sales")
    assert desk.get(write_url(make_product())).status_code == 403


def test_the_reviewer_can_delete_their_review(buyer) -> None:
    user, client, order = buyer()
    client.post(write_url(product_of(order)), review_form())
    review = Review.objects.get(subject=user.subject)
    done = client.post("/reviews/mine/", {"review": str(review.pk)})
    assert done.status_code == 302
    assert not Review.objects.filter(pk=review.pk).exists()
    # someone else's review id is a 404, never a deletion
    other, other_client, other_order = buyer()
    other_client.post(write_url(product_of(other_order)), review_form())
    theirs = Review.objects.get(subject=other.subject)
    assert client.post("/reviews/mine/", {"review": str(theirs.pk)}).status_code == 404
    assert Review.objects.filter(pk=theirs.pk).exists()


def test_the_delivered_order_page_links_to_the_review(buyer) -> None:
    _user, client, order = buyer()
    product = product_of(order)
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="{write_url(product)}"' in page
    client.post(write_url(product), review_form())
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="{write_url(product)}"' not in page
    assert "you reviewed it (waiting for moderation)" in page


def test_an_order_not_yet_delivered_offers_no_review(customer) -> None:
    from lookout.returns.testing import paid_order

    user, client = customer()
    order = paid_order(user=user)
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "/reviews/" not in page and "Review what you received" not in page
