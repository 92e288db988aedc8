"""The product page with published reviews stays in the page cache; the reviews' words and
names, a person's data, come from their own address that no cache keeps (issue 24; C3.8, C4.2,
C6.4)."""

from __future__ import annotations

import base64
import pickle
import re

import pytest
from django.db import connection
from django.test import Client

from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.catalog import cache as page_cache
from lookout.privacy.erasure import erase_subject
from lookout.reviews import services
from lookout.reviews.models import Review
from lookout.reviews.selectors import PUBLICATION
from lookout.reviews.tests.conftest import product_of, review_form, reviews_url, write_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

WORDS = "The chime woke the whole of flat 7C, twice a night, for a moth."
NAME = "Moth-watcher of Elm Row"
LINK = re.compile(r'<a href="([^"]+)" id="read-reviews">')


@pytest.fixture
def cached(settings):
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    services.forget_opened()
    yield
    page_cache.local.clear()
    services.forget_opened()


def _published(buyer, staff, *, capture, **form):
    user, client, order = buyer()
    product = product_of(order)
    sent = client.post(write_url(product), review_form(body=WORDS, pseudonym=NAME, **form))
    assert sent.status_code == 302
    agent, _ = staff(Role.AFTER_SALES)
    with capture(execute=True):
        services.publish(review_id=Review.objects.get(subject=user.subject).pk, actor=agent)
    return user, product


def _stored_pages() -> list[str]:
    """Every page in the shared page cache (a database table in tests), as stored."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value FROM lookout_cache")
        rows = cursor.fetchall()
    pages = []
    for key, value in rows:
        if page_cache.KEY_PREFIX in key:
            entry = pickle.loads(base64.b64decode(value))  # noqa: S301 our own rows
            pages.append("".join(entry["parts"]))
    return pages


@pytest.mark.commitment("C4.2", "C3.8")
def test_the_product_page_with_a_review_is_cached_without_a_word_of_it(
    buyer, staff, cached, django_capture_on_commit_callbacks
) -> None:
    user, product = _published(buyer, staff, capture=django_capture_on_commit_callbacks)
    url = product.get_absolute_url()

    first = Client().get(url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    second = Client().get(url)
    assert second["X-Page-Cache"] == "hit"
    for page in (first, second):
        html = page.content.decode()
        assert "<strong>4.0</strong> out of 5" in html and "(1 review from verified buyers)" in html
        assert WORDS not in html and NAME not in html
        assert f'hx-get="{reviews_url(product)}"' in html and 'hx-trigger="load"' in html
    # the bytes the cache keeps: the page is there, no word or name of the reviewer in it
    (stored,) = [p for p in _stored_pages() if "(1 review from verified buyers)" in p]
    assert product.name in stored
    assert WORDS not in stored and NAME not in stored
    for entry in page_cache.local.entries.values():
        assert WORDS not in "".join(entry["parts"]) and NAME not in "".join(entry["parts"])
    # the page read nothing through the gate: no visitor's view of it is a read of a person
    assert not AuditEntry.objects.filter(purpose=PUBLICATION).exists()

    # the reviews' own address shows them, read through the gate for the agreed use, audited
    part = Client().get(reviews_url(product), headers={"HX-Request": "true"})
    assert part.status_code == 200
    html = part.content.decode()
    assert WORDS in html and NAME in html and "<html" not in html
    assert html.lstrip().startswith('<div id="review-list">')
    shown = AuditEntry.objects.filter(purpose=PUBLICATION, subject_ref=str(user.subject))
    assert shown.filter(outcome="granted", actor_ref="system").count() == 1
    # no cache keeps it: neither the page cache, nor a browser's or a proxy's
    for response in (part, Client().get(reviews_url(product))):
        assert "X-Page-Cache" not in response
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "HX-Request" in response["Vary"]
        assert WORDS in response.content.decode()
    assert all(WORDS not in p and NAME not in p for p in _stored_pages())
    # what the gate opened is kept in this process's memory a while: no second read
    assert shown.count() == 1


def test_without_javascript_the_link_leads_to_the_reviews(
    buyer, staff, cached, django_capture_on_commit_callbacks
) -> None:
    from lookout.cart.services import open_cart

    _, product = _published(buyer, staff, capture=django_capture_on_commit_callbacks)
    html = Client().get(product.get_absolute_url()).content.decode()
    (href,) = LINK.findall(html)
    assert href == reviews_url(product)
    # a browser without JavaScript follows the link: a page of its own, with the reviews
    page = Client().get(href)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and f"Reviews of the {product.name}" in html
    assert WORDS in html and NAME in html and "(1 review from verified buyers)" in html
    assert f'href="{product.get_absolute_url()}" id="back-to-product"' in html

    # a visitor whose cart lives in the link keeps it there, on the cached page and the next
    _, token = open_cart()
    for _ in range(2):
        html = Client().get(product.get_absolute_url(), {"cart": token}).content.decode()
        (href,) = LINK.findall(html)
        assert href == f"{reviews_url(product)}?cart={token}"
    html = Client().get(href).content.decode()
    assert f'href="{product.get_absolute_url()}?cart={token}" id="back-to-product"' in html


def test_a_variant_address_shows_its_products_reviews_and_an_unknown_one_is_404(
    buyer, staff, django_capture_on_commit_callbacks
) -> None:
    from lookout.catalog.services import upsert_variant

    _, product = _published(buyer, staff, capture=django_capture_on_commit_callbacks)
    variant = upsert_variant(
        parent=product,
        sku=f"{product.sku}-RED",
        options=[["Colour", "Red"]],
        list_price=product.list_price,
        price=product.price,
        stock=3,
    )
    page = Client().get(reviews_url(variant))
    assert page.status_code == 200 and WORDS in page.content.decode()
    assert f"Reviews of the {product.name}" in page.content.decode()
    missing = Client().get("/p/no-such-product/reviews/")
    assert missing.status_code == 404 and WORDS not in missing.content.decode()
    assert Client().post(reviews_url(product)).status_code == 405


def test_the_words_cannot_break_out_of_their_page(
    buyer, staff, django_capture_on_commit_callbacks
) -> None:
    hostile = "</div><script>alert(1)</script> & more words"
    user, client, order = buyer()
    product = product_of(order)
    client.post(write_url(product), review_form(body=hostile, pseudonym="<b>x</b>"))
    agent, _ = staff(Role.AFTER_SALES)
    services.publish(review_id=Review.objects.get(subject=user.subject).pk, actor=agent)
    for headers in ({}, {"HX-Request": "true"}):
        html = Client().get(reviews_url(product), headers=headers).content.decode()
        assert "<script>alert(1)" not in html and "<b>x</b>" not in html
        assert "&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; more words" in html
        assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.commitment("C6.4")
def test_with_the_caches_on_an_erased_reviewers_words_leave_their_page_at_once(
    buyer, staff, cached, settings, django_capture_on_commit_callbacks
) -> None:
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 60  # this process sees its own bump at once
    user, product = _published(buyer, staff, capture=django_capture_on_commit_callbacks, stars="3")
    assert Client().get(product.get_absolute_url())["X-Page-Cache"] == "miss"
    assert Client().get(product.get_absolute_url())["X-Page-Cache"] == "hit"
    assert WORDS in Client().get(reviews_url(product)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        erase_subject(subject=user.subject)
    for headers in ({}, {"HX-Request": "true"}):
        html = Client().get(reviews_url(product), headers=headers).content.decode()
        assert WORDS not in html and NAME not in html
        assert "No written review to show." in html
    page = Client().get(product.get_absolute_url())
    assert page["X-Page-Cache"] == "miss"  # the erasure dropped the cached page too
    assert "<strong>3.0</strong> out of 5" in page.content.decode()  # the stars stay
