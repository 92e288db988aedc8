"""Moderation before publication, read through the gate and audited; the product page, its
cards and its JSON-LD once published (issue 24, item 4; C3.8, C4.3, C4.4)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.catalog import cache as page_cache
from lookout.core.purposes import Purpose
from lookout.reviews import services
from lookout.reviews.models import ProductRating, Review, State
from lookout.reviews.selectors import PUBLICATION
from lookout.reviews.tests.conftest import product_of, review_form, reviews_url, write_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

WORDS = "Sharp picture at night, and the mount held through a storm."
JSON_LD = re.compile(
    r'<script type="application/ld\+json" id="product-json-ld">(.*?)</script>', re.S
)


@pytest.fixture
def cached(settings):
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    services.forget_opened()
    yield
    page_cache.local.clear()
    services.forget_opened()


def _reviewed(buyer, **form):
    user, client, order = buyer()
    assert client.post(write_url(product_of(order)), review_form(**form)).status_code == 302
    return user, Review.objects.get(subject=user.subject)


@pytest.mark.commitment("C4.4", "C3.8")
def test_nothing_is_shown_before_after_sales_publishes_it(
    buyer, staff, cached, django_capture_on_commit_callbacks
) -> None:
    user, review = _reviewed(buyer)
    product = review.product
    url = product.get_absolute_url()

    # waiting: the product page (now cached) shows neither the words nor a rating
    first = Client().get(url)
    assert first["X-Page-Cache"] == "miss"
    assert WORDS not in first.content.decode() and "No reviews yet." in first.content.decode()
    assert Client().get(url)["X-Page-Cache"] == "hit"
    # and the store itself may not read them for publication yet (no published review)
    with pytest.raises(AccessDenied):
        reveal(review, ["body"], purpose=PUBLICATION, actor=None)

    # after-sales reads the words through the gate, for its purpose, and it is audited
    _agent, desk = staff(Role.AFTER_SALES)
    before = AuditEntry.objects.count()
    queue = desk.get("/reviews/moderation/")
    assert queue.status_code == 200
    assert WORDS in queue.content.decode() and "Quill from the hills" in queue.content.decode()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and AuditEntry.objects.count() == before + 1
    assert entry.outcome == "granted" and entry.purpose == Purpose.AFTER_SALES
    assert entry.actor_role == Role.AFTER_SALES and entry.subject_ref == str(user.subject)
    assert entry.fields == ["reviews.Review.pseudonym", "reviews.Review.body"]
    assert WORDS not in repr(entry.__dict__)

    # publishing is audited and drops the cached page
    with django_capture_on_commit_callbacks(execute=True):
        done = desk.post("/reviews/moderation/", {"review": str(review.pk), "action": "publish"})
    assert done.status_code == 302
    assert AuditEntry.objects.filter(action="review.published", subject_ref=str(user.subject))
    review.refresh_from_db()
    assert review.state == State.PUBLISHED and review.decided_by_role == Role.AFTER_SALES

    page = Client().get(url)
    assert page["X-Page-Cache"] == "miss"
    html = page.content.decode()
    assert "<strong>4.0</strong> out of 5" in html and "(1 review from verified buyers)" in html
    # the cached page carries the average and count only; the words come from their own
    # address, which the page loads (and links to), never cached (test_review_page.py)
    assert WORDS not in html and "Quill from the hills" not in html
    shown_html = Client().get(reviews_url(product)).content.decode()
    assert WORDS in shown_html and "Quill from the hills" in shown_html
    # the store read the words for visitors for the use the reviewer agreed to, audited
    shown = AuditEntry.objects.filter(purpose=PUBLICATION, subject_ref=str(user.subject))
    assert shown.filter(outcome="granted", actor_ref="system").count() == 1
    # from what this process opened: no second read, no second entry
    assert WORDS in Client().get(reviews_url(product)).content.decode()
    assert shown.filter(outcome="granted").count() == 1
    assert Client().get(url)["X-Page-Cache"] == "hit"

    # taking it down drops it from the page and from the average again
    with django_capture_on_commit_callbacks(execute=True):
        desk.post("/reviews/moderation/", {"review": str(review.pk), "action": "reject"})
    html = Client().get(url).content.decode()
    assert "No reviews yet." in html and 'id="read-reviews"' not in html
    assert WORDS not in Client().get(reviews_url(product)).content.decode()
    assert ProductRating.objects.get(product=product).count == 0


@pytest.mark.commitment("C4.3", "C4.4")
@pytest.mark.parametrize(
    "role", [Role.CATALOG_MANAGER, Role.ADMINISTRATOR, Role.WAREHOUSE, Role.FINANCE]
)
def test_other_staff_never_read_the_words(buyer, staff, role) -> None:
    _, review = _reviewed(buyer)
    reader, desk = staff(role)
    assert desk.get("/reviews/moderation/").status_code == 404
    assert (
        desk.post(
            "/reviews/moderation/", {"review": str(review.pk), "action": "publish"}
        ).status_code
        == 404
    )
    for purpose in Purpose:
        with pytest.raises(AccessDenied):
            reveal(review, ["body", "pseudonym"], purpose=purpose, actor=reader)
    # a staff role is refused the reviewer's publication consent too (only the store shows it)
    with pytest.raises(AccessDenied):
        reveal(review, ["body"], purpose=PUBLICATION, actor=reader)
    refused = AuditEntry.objects.order_by("-seq").first()
    assert refused is not None and refused.outcome == "refused" and refused.actor_role == role
    review.refresh_from_db()
    assert review.state == State.PENDING


def test_moderation_form_errors(buyer, staff) -> None:
    _, review = _reviewed(buyer)
    _, desk = staff(Role.AFTER_SALES)
    assert desk.post("/reviews/moderation/", {"action": "publish"}).status_code == 400
    bad = desk.post("/reviews/moderation/", {"review": str(review.pk), "action": "shout"})
    assert bad.status_code == 400 and "publish or to reject" in bad.content.decode()
    gone = desk.post(
        "/reviews/moderation/",
        {"review": "00000000-0000-4000-8000-000000000000", "action": "publish"},
    )
    assert gone.status_code == 404


def _json_ld(html: str) -> dict:
    found = JSON_LD.search(html)
    assert found is not None, "no JSON-LD on the page"
    return json.loads(found[1])


def _publish_all(staff) -> None:
    from lookout.reviews import services

    agent, _ = staff(Role.AFTER_SALES)
    for review in Review.objects.filter(state=State.PENDING):
        services.publish(review_id=review.pk, actor=agent)


def test_json_ld_names_the_product_offer_and_rating(buyer, staff) -> None:
    _user, review = _reviewed(buyer, stars="5")
    product = review.product
    # before any published review: Product and Offer, no rating (the vocabulary wants one)
    data = _json_ld(Client().get(product.get_absolute_url()).content.decode())
    assert data["@type"] == "Product" and data["sku"] == product.sku
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["price"] == f"{product.price:.2f}"
    assert data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert "aggregateRating" not in data

    _publish_all(staff)
    html = Client().get(product.get_absolute_url()).content.decode()
    data = _json_ld(html)
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "5.0",
        "reviewCount": 1,
        "bestRating": "5",
        "worstRating": "1",
    }
    # no Review items: their words and names are a person's data, and the page is cached
    assert "review" not in data
    assert WORDS not in html and "Quill from the hills" not in html


def test_a_name_cannot_break_out_of_the_json_ld(buyer, staff) -> None:
    from lookout.catalog.services import upsert_product

    _, review = _reviewed(buyer)
    _publish_all(staff)
    product = review.product
    hostile = "</script><script>alert(1)</script> & more"
    upsert_product(
        sku=product.sku,
        list_price=product.list_price,
        price=product.price,
        name=hostile,
        summary=hostile,
    )
    html = Client().get(product.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    data = _json_ld(html)
    assert data["name"] == hostile and data["description"] == hostile


def test_cards_show_average_and_count_in_one_query_for_any_number(buyer, staff) -> None:
    from lookout.catalog.tests.factories import category

    shelf = category()
    _, _first = _reviewed(buyer, category=shelf, stars="5")
    _publish_all(staff)
    url = shelf.get_absolute_url()

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as seen:
            html = Client().get(url).content.decode()
        return len(seen), html

    one, html = queries()
    assert "★ 5.0" in html and "5.0 out of 5 stars, 1 review" in html
    for stars in ("4", "2", "3"):
        _reviewed(buyer, category=shelf, stars=stars)
    _publish_all(staff)
    more, html = queries()
    assert "★ 4.0" in html and "★ 2.0" in html and "★ 3.0" in html
    assert more == one, "each card read its own rating (N+1)"


def test_an_average_over_several_buyers(buyer, staff) -> None:
    from lookout.reviews import services

    _user, review = _reviewed(buyer, stars="5")
    product = review.product
    agent, _ = staff(Role.AFTER_SALES)
    for stars in ("4", "2"):
        other, other_client, _ = buyer()
        order = _deliver(other, product)
        assert order is not None
        other_client.post(write_url(product), review_form(stars=stars))
    for r in Review.objects.filter(product=product):
        services.publish(review_id=r.pk, actor=agent)
    rating = ProductRating.objects.get(product=product)
    assert (rating.count, rating.total, rating.average) == (3, 11, 3.7)
    html = Client().get(product.get_absolute_url()).content.decode()
    assert "<strong>3.7</strong> out of 5" in html and "(3 reviews from verified buyers)" in html


def _deliver(user, product):
    """A delivered order of `product` (an existing one) for `user`: placed, paid on the sandbox
    processor's page, shipped by a clerk and delivered."""
    import secrets
    from urllib.parse import unquote, urlsplit

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
    order, _ = finish_payment(order=order, signed_reference=unquote(ref))
    ship_order(order=order, actor=clerk)
    return mark_delivered(order=order)
