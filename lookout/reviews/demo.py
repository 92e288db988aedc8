"""Demo reviews (`lookout demo`, refused in production): buyers of delivered demo orders review
what they received, and after-sales has published most of them, so `make run` shows ratings on
cards and reviews on product pages, and one review waits in the moderation queue."""

from __future__ import annotations

from collections.abc import Callable

from lookout.catalog import demo as catalog_demo
from lookout.catalog.models import Product
from lookout.reviews.models import Review, State

# (demo order name, buyer, stars, words, name shown, published)
DEMO_REVIEWS = (
    (
        "delivered",
        "ben@example.com",
        5,
        "Set up in ten minutes and the picture is sharp even at dusk. The app never asked me "
        "for more than it needs.",
        "B., US",
        True,
    ),
    (
        "review-ann-1",
        "ann@example.com",
        4,
        "Good value and clear night vision. The mount could be sturdier, but it has held up "
        "through two storms.",
        "Ann from Ohio",
        True,
    ),
    (
        "review-ann-2",
        "ann@example.com",
        3,
        "Works as described. Battery lasts about five weeks with motion alerts on, less than "
        "the box says.",
        "A., US",
        False,  # waits for moderation
    ),
    (
        "review-doorbell",
        "ben@example.com",
        4,
        "The black one matches our door and the chime is loud enough upstairs. Motion zones "
        "took a few tries to set.",
        "B., US",
        True,
    ),
)
# Orders whose line is a given product rather than the next free one: the doorbell in colours
# (catalog.demo.SHOWCASE), so a product with variants and photos has ratings too.
SHOWCASE_ORDERS = {"review-doorbell"}


def load(*, progress: Callable[[str], None]) -> None:
    from lookout.orders import demo as orders_demo
    from lookout.reviews import services

    orders_demo.refuse_in_production()
    moderator = orders_demo.demo_user("after-sales@example.com")
    with orders_demo.sandbox_processor():
        for name, buyer, stars, words, shown, publish in DEMO_REVIEWS:
            order = orders_demo.existing(name) or orders_demo.make(
                name,
                orders_demo.delivered,
                buyer=buyer,
                progress=progress,
                product=_showcase_variant() if name in SHOWCASE_ORDERS else None,
            )
            if order is None or order.user is None:
                progress(f"review on order {name}: no delivered order of a customer, skipped")
                continue
            line = order.lines.select_related("product__parent").first()
            # A variant is reviewed as its product.
            product = line.product.parent or line.product  # type: ignore[union-attr]
            if Review.objects.filter(subject=order.subject, product=product).exists():
                progress(f"review of {product.sku} by {buyer.split('@')[0]}: already there")
                continue
            review = services.write_review(
                user=order.user,
                product=product,
                stars=stars,
                body=words,
                pseudonym=shown,
                agreed=True,
            )
            if publish:
                review = services.publish(review_id=review.pk, actor=moderator)
            state = "published" if review.state == State.PUBLISHED else "waiting for moderation"
            progress(f"review of {product.sku} by {buyer.split('@')[0]}: {stars} stars, {state}")


def _showcase_variant() -> Product | None:
    """The first variant in stock of the demo's product with variants and photos."""
    product = catalog_demo.showcase()
    if product is None:
        return None
    return product.variants.filter(stock__gte=3).order_by("pk").first()
