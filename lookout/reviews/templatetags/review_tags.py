"""Ratings and reviews on storefront pages (issue 24, item 4), as tags so the catalog's views
need no change: the page asks, the reviews app decides what is shown.

`{% product_reviews product %}` is the product page's section (average and count, the link to the
published reviews, the link to write one) with the schema.org Product / Offer / AggregateRating
JSON-LD. It holds nothing of a person, so the product page stays in the page cache: the reviews'
words and names come from their own address (`/p/<slug>/reviews/`, loaded with htmx, and a plain
link without JavaScript), which is never cached.
`{% card_rating p %}` is a card's average and count: every rated product's figures are read in
one query the first time a page asks, and kept on the request for its other cards (no N+1).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from lookout.reviews import selectors
from lookout.reviews.models import State

register = template.Library()

_MEMO = "_lookout_ratings"
# Characters that could end the script element or open markup inside it (as json_script).
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _ratings(context: template.Context) -> dict[int, tuple[int, float]]:
    request = context.get("request")
    memo = getattr(request, _MEMO, None) if request is not None else None
    if memo is None:
        memo = selectors.all_ratings()
        if request is not None:
            setattr(request, _MEMO, memo)
    return memo


def _stars_label(count: int, average: float) -> str:
    noun = "review" if count == 1 else "reviews"
    return f"{average:.1f} out of 5 stars, {count} {noun}"


@register.simple_tag(takes_context=True)
def card_rating(context: template.Context, product: Any) -> SafeString:
    found = _ratings(context).get(product.pk)
    if found is None:
        return SafeString("")
    count, average = found
    return format_html(
        '<p class="card-rating"><span aria-hidden="true">★ {}</span> '
        '<span class="visually-hidden">{}</span><span aria-hidden="true">({})</span></p>',
        f"{average:.1f}",
        _stars_label(count, average),
        count,
    )


def _money(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def product_json_ld(product: Any, *, count: int, average: float, base: str) -> str:
    """schema.org Product with its Offer and its AggregateRating (only with a published review,
    as the vocabulary asks), as JSON safe inside a script. No Review items: their words and names
    are a person's data, and this is part of the cached page."""
    url = base + product.get_absolute_url()
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "description": product.summary,
        "brand": {"@type": "Brand", "name": product.brand},
        "image": base + reverse("catalog:image", args=[product.sku]),
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": _money(product.price),
            "priceCurrency": "USD",
            "availability": "https://schema.org/InStock"
            if product.in_stock
            else "https://schema.org/OutOfStock",
            "itemCondition": "https://schema.org/NewCondition",
        },
    }
    if count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{average:.1f}",
            "reviewCount": count,
            "bestRating": "5",
            "worstRating": "1",
        }
    return json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)


@register.inclusion_tag("reviews/_summary.html", takes_context=True)
def product_reviews(context: template.Context, product: Any) -> dict[str, Any]:
    rating = selectors.rating_of(product.pk)
    count = rating.count if rating else 0
    average = rating.average if rating else 0.0
    request = context.get("request")
    base = f"{request.scheme}://{request.get_host()}" if request is not None else ""
    return {
        "product": product,
        "count": count,
        "average": average,
        "label": _stars_label(count, average) if count else "",
        "glyphs": "★" * round(average) + "☆" * (5 - round(average)),
        "reviews_url": reverse("product_reviews", args=[product.slug]),
        "json_ld": mark_safe(  # noqa: S308 (json.dumps output with <, > and & escaped)
            product_json_ld(product, count=count, average=average, base=base)
        ),
        "csp_nonce": context.get("csp_nonce", ""),
        "request": request,  # for the links that keep the visitor's cart
        "cart_token": context.get("cart_token", ""),
    }


@register.inclusion_tag("reviews/_order_links.html", takes_context=True)
def order_review_links(context: template.Context, order: Any) -> dict[str, Any]:
    """On a signed-in buyer's delivered order: each product, with the link to review it or what
    became of their review (two queries, whatever the number of lines)."""
    from lookout.orders.models import Status

    if order.status != Status.DELIVERED or order.user_id is None:
        return {"items": []}
    lines = order.lines.select_related("product__parent").order_by("pk")
    # A variant is reviewed as its product (the parent): one link for two colours of it.
    reviewed = (line.product.parent or line.product for line in lines)
    products = {product.pk: product for product in reviewed}
    written = selectors.states_of(subject=order.subject, product_ids=list(products))
    states = dict(State.choices)
    return {
        "items": [
            {"product": product, "state": states.get(written[pk]) if pk in written else None}
            for pk, product in products.items()
        ]
    }
