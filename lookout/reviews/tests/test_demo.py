"""The demo has a product with variants, photos and ratings (issue 24's page benchmark measures
its category and product pages: bench/pages.py): the doorbell in colours, reviewed by a buyer
of one of its variants."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from lookout.catalog import demo as catalog_demo
from lookout.reviews.models import Review, State


@pytest.mark.django_db
def test_the_demo_showcase_has_variants_photos_and_a_published_rating():
    call_command("demo", stdout=StringIO())
    product = catalog_demo.showcase()
    assert product is not None and product.is_parent
    assert Review.objects.filter(product=product, state=State.PUBLISHED).exists()
    # its card on the category page: a photo, its choices and its rating
    listing = Client().get(product.category.get_absolute_url()).content.decode()
    cards = re.findall(r'<article class="card">.*?</article>', listing, re.S)
    card = next(c for c in cards if f'href="{product.get_absolute_url()}"' in c)
    assert "<picture>" in card and "3 choices of colour" in card and "card-rating" in card
    # its page, a colour chosen: that colour's photo first, then the product's, and the rating
    black = product.variants.get(options=[["Colour", "Black"]])
    page = Client().get(product.get_absolute_url(), {"variant": black.sku}).content.decode()
    alts = re.findall(r'<img src="/media/products/[^"]+"[^>]* alt="([^"]*)"', page)
    assert alts[:2] == [
        f"The {product.name} in black, from the front",
        f"The {product.name}, a slim doorbell with a round lens and button",
    ]
    assert "aggregateRating" in page
