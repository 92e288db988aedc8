"""Writes on reviews (issue 24, item 4). Views call only these.

Only a verified buyer reviews: a signed-in person whose order holding the product was delivered,
once per product. The words and the chosen name are sealed under the reviewer's data key on save
(vault fields); nothing here logs a word of them. A review waits for moderation; publishing or
removing one recounts the product's stars and invalidates every cached storefront page once the
change commits (`catalog.cache.bump_generation`).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from lookout.access import reveal, reveal_many
from lookout.access.restrictions import restricted
from lookout.access.roles import Role
from lookout.accounts.throttle import Bucket, count, throttle_key_for_ip
from lookout.core.errors import Conflict, Forbidden, LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.reviews import selectors
from lookout.reviews.models import ProductRating, Review, State
from lookout.vault.crypto import KeyDestroyed

if TYPE_CHECKING:
    from lookout.accounts.models import User
    from lookout.catalog.models import Product
    from lookout.orders.models import Order

BODY_MIN = 10
BODY_MAX = 3000
PSEUDONYM_MAX = 40
# Who moderates, and for which of the fixed purposes they read the words. Not the catalog
# manager: C4.3 lets neither catalog managers nor administrators see any personal field in
# full, and a review's words are the reviewer's personal data until they are published.
# After-sales already reads what buyers write about what they bought (support, returns).
MODERATOR = Role.AFTER_SALES
MODERATION_PURPOSE = Purpose.AFTER_SALES
# What the reviewer agrees to when they send a review (the consent C3.8 asks for; the access
# file shows it back to them).
AGREEMENT = (
    "Publish my stars, my review and the name I chose on the product page, once the store has "
    "checked the review. I can ask for it to be removed at any time."
)


class InvalidReview(LookoutError):
    """Stars, words or name are missing or too long; the person is told which."""


class NotAVerifiedBuyer(Forbidden):
    """Only a signed-in person whose order holding the product was delivered may review it."""


class AlreadyReviewed(Conflict):
    """One review per person and product."""


# --- who may review --------------------------------------------------------------------------


def qualifying_order(*, user: User, product: Product) -> Order:
    """The delivered order that lets `user` review `product`; raises with the reason otherwise.

    Staff accounts review nothing: they sell the products."""
    if not (user.is_authenticated and user.is_active) or user.role:
        raise NotAVerifiedBuyer("Only customers who received this product can review it.")
    order = selectors.delivered_order_with(subject=user.subject, product_id=product.pk)
    if order is None:
        raise NotAVerifiedBuyer(
            "Only customers whose order with this product was delivered can review it. "
            "Once your order arrives, you can write one here or from the order's page."
        )
    if selectors.review_of(subject=user.subject, product_id=product.pk) is not None:
        raise AlreadyReviewed("You have already reviewed this product: one review per product.")
    return order


def default_pseudonym(*, user: User, order: Order) -> str:
    """The first letter of the recipient's name and the order's country ("A., US"). The name is
    sealed: it is read through the gate, by the person themself for their own view (audited)."""
    delivery = getattr(order, "delivery", None)
    if delivery is None:
        return "A verified buyer"
    try:
        name = reveal(delivery, ["name"], purpose=Purpose.SELF_SERVICE, actor=user)["name"] or ""
    except KeyDestroyed:
        name = ""
    initial = next((c.upper() for c in name.strip() if c.isalpha()), "")
    country = str(delivery.country or "").upper()
    parts = [f"{initial}." if initial else "", country]
    return ", ".join(p for p in parts if p) or "A verified buyer"


# --- writing -----------------------------------------------------------------------------------


def clean_stars(value: Any) -> int:
    text = str(value or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 5:
        raise InvalidReview("Please choose from 1 to 5 stars.")
    return int(text)


def clean_body(value: Any) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if len(text) < BODY_MIN:
        raise InvalidReview(f"Please write at least {BODY_MIN} characters about the product.")
    if len(text) > BODY_MAX:
        raise InvalidReview(f"A review can have at most {BODY_MAX} characters.")
    return text


def clean_pseudonym(value: Any) -> str:
    text = " ".join(str(value or "").replace("\x00", "").split())
    if not text:
        raise InvalidReview("Please write the name to show with your review.")
    if len(text) > PSEUDONYM_MAX:
        raise InvalidReview(f"The name can have at most {PSEUDONYM_MAX} characters.")
    return text


def count_attempt(*, user: User, ip: str) -> None:
    """Raises `Throttled` (429) past the limits: per account and per client network, so a script
    can neither fill the moderation queue nor hammer the form (accounts.throttle, C4.7)."""
    limit = int(getattr(settings, "LOOKOUT_REVIEW_LIMIT", 10))
    count(
        buckets=[
            Bucket("review-account", str(user.subject), limit),
            Bucket("review-ip", throttle_key_for_ip(ip), limit * 3),
        ],
        what="reviews sent",
    )


def write_review(
    *,
    user: User,
    product: Product,
    stars: Any,
    body: Any,
    pseudonym: Any,
    agreed: bool,
) -> Review:
    """A verified buyer's review, waiting for moderation; the words and name sealed."""
    order = qualifying_order(user=user, product=product)
    cleaned = (clean_stars(stars), clean_body(body), clean_pseudonym(pseudonym))
    if not agreed:
        raise InvalidReview("Please tick that we may publish your review under the name you chose.")
    try:
        with transaction.atomic():
            return Review.objects.create(
                subject=user.subject,
                product=product,
                order=order,
                stars=cleaned[0],
                body=cleaned[1],
                pseudonym=cleaned[2],
                state=State.PENDING,
                written_at=timezone.now(),
            )
    except IntegrityError as exc:  # two submissions racing: the constraint decides
        raise AlreadyReviewed(
            "You have already reviewed this product: one review per product."
        ) from exc


# --- moderation --------------------------------------------------------------------------------


def _moderator(actor: User) -> None:
    if getattr(actor, "role", "") != MODERATOR:
        raise Forbidden("Reviews are moderated by after-sales.")


def words_for_moderation(reviews: list[Review], *, actor: User) -> list[dict[str, str | None]]:
    """The words and names of `reviews` for the moderator: through the gate, for the moderation
    purpose, one audit entry per reviewer (C4.4). An erased reviewer's words read as None."""
    _moderator(actor)
    # A reviewer who restricted processing (Art. 18, C6.9) is withheld, not read: the gate would
    # refuse the whole read, and the queue must still show everyone else's words.
    held = restricted({r.subject for r in reviews if r.erased_at is None})
    live = [r for r in reviews if r.erased_at is None and r.subject not in held]
    opened = reveal_many(live, ["pseudonym", "body"], purpose=MODERATION_PURPOSE, actor=actor)
    by_id = {r.pk: values for r, values in zip(live, opened, strict=True)}
    withheld = {"pseudonym": None, "body": WITHHELD}
    return [
        by_id.get(r.pk, withheld if r.subject in held else {"pseudonym": None, "body": None})
        for r in reviews
    ]


WITHHELD = "Withheld: the reviewer restricted the processing of their data (GDPR Art. 18)."


def recount(product_id: int) -> ProductRating:
    """The product's published stars, counted again (erased reviewers' stars included)."""
    totals = Review.objects.filter(product_id=product_id, state=State.PUBLISHED).aggregate(
        n=Count("id"), total=Sum("stars")
    )
    rating, _ = ProductRating.objects.update_or_create(
        product_id=product_id,
        defaults={"count": totals["n"] or 0, "total": totals["total"] or 0},
    )
    return rating


def _decide(*, review_id: uuid.UUID, to: str, actor: User) -> Review:
    from lookout.audit.services import record
    from lookout.catalog.cache import bump_generation

    _moderator(actor)
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise NotFound("No such review.")
        if review.erased_at is not None and to == State.PUBLISHED:
            raise Conflict("The reviewer's words were erased: there is nothing to publish.")
        was = review.state
        Review.objects.filter(pk=review.pk).update(
            state=to, decided_at=timezone.now(), decided_by_role=str(actor.role)
        )
        record(
            actor=actor,
            action=f"review.{to}",
            subject=review.subject,
            purpose=str(MODERATION_PURPOSE),
            target=f"reviews.Review:{review.pk}",
            detail={"from": was},
        )
        recount(review.product_id)
        bump_generation()  # the product page, and every card with its average
    review.refresh_from_db()
    return review


def publish(*, review_id: uuid.UUID, actor: User) -> Review:
    return _decide(review_id=review_id, to=State.PUBLISHED, actor=actor)


def reject(*, review_id: uuid.UUID, actor: User) -> Review:
    """Not published (or taken down again): off the page and out of the average."""
    return _decide(review_id=review_id, to=State.REJECTED, actor=actor)


# --- the reviewer ---------------------------------------------------------------------------


def withdraw(*, user: User, review_id: uuid.UUID) -> None:
    """The reviewer deletes their own review: words, name and stars."""
    from lookout.catalog.cache import bump_generation

    with transaction.atomic():
        review = Review.objects.filter(pk=review_id, subject=user.subject).first()
        if review is None:
            raise NotFound("No such review.")
        review.delete()
        recount(review.product_id)
        bump_generation()


def forget_words(*, subject: uuid.UUID) -> int:
    """Erasure (C6.4): the words and name go (their key goes too, so old copies in backups open
    for nobody); the stars of a published review stay in the product's average, naming nobody.
    Returns how many reviews lost their words."""
    from lookout.catalog.cache import bump_generation

    now = timezone.now()
    rows = Review.objects.filter(subject=subject, erased_at__isnull=True)
    published = rows.filter(state=State.PUBLISHED).exists()
    forgotten = rows.update(body=None, pseudonym=None, erased_at=now)
    # Not yet published: nothing of it is shown, so nothing of it needs to stay.
    Review.objects.filter(subject=subject).exclude(state=State.PUBLISHED).delete()
    if published:
        bump_generation()  # no cached page keeps the words
    return forgotten


# --- the product page -----------------------------------------------------------------------


# Published reviews as last opened, per product, in this process's memory only (never in the
# page cache or the database): product id -> (catalog generation, expiry, rows). Why: the
# reviews' own address (views.published, which the cached product page loads) is never stored
# in a cache, and would otherwise open them through the gate, and audit it, on every view.
_opened: dict[int, tuple[int, float, list[dict[str, Any]]]] = {}
_opened_lock = threading.Lock()
OPENED_SECONDS = 60
OPENED_PRODUCTS = 512


def forget_opened() -> None:
    """Drop every review opened into this process's memory (tests; a process told to forget)."""
    with _opened_lock:
        _opened.clear()


def shown_on_page(*, product_id: int) -> list[dict[str, Any]]:
    """The newest published reviews as their page shows them: name, stars, words, date.

    The store reads the words for every visitor, for the use each reviewer agreed to (the gate
    asks `selectors.agreed_to_publish`, C3.8) and audits it (one entry per reviewer per read).
    With the page cache on, what was opened is kept in this process's memory for up to
    `OPENED_SECONDS`, and only for the current catalog generation: publishing, taking down and
    erasure bump it, so an erased reviewer's words leave memory at the next page."""
    from lookout.catalog import cache as page_cache

    if not page_cache.enabled():
        return _open_published(product_id)
    generation = page_cache.current_generation()
    now = time.monotonic()
    with _opened_lock:
        kept = _opened.get(product_id)
        if kept is not None and kept[0] == generation and kept[1] > now:
            return [dict(row) for row in kept[2]]
    rows = _open_published(product_id)
    with _opened_lock:
        for stale in [k for k, v in _opened.items() if v[0] != generation or v[1] <= now]:
            del _opened[stale]
        while len(_opened) >= OPENED_PRODUCTS:
            del _opened[next(iter(_opened))]
        _opened[product_id] = (generation, now + OPENED_SECONDS, rows)
    return [dict(row) for row in rows]


def _open_published(product_id: int) -> list[dict[str, Any]]:
    """Open the newest published reviews through the gate. A reviewer whose key is gone
    (erased) is left out; their stars stay in the average."""
    rows = selectors.published(product_id=product_id)
    if not rows:
        return []
    fields = ["pseudonym", "body"]
    try:
        opened = reveal_many(rows, fields, purpose=selectors.PUBLICATION, actor=None)
        pairs = list(zip(rows, opened, strict=True))
    except KeyDestroyed:
        pairs = []
        for row in rows:
            try:
                pairs.append((row, reveal(row, fields, purpose=selectors.PUBLICATION, actor=None)))
            except KeyDestroyed:
                continue
    return [
        {
            "pseudonym": values["pseudonym"],
            "stars": row.stars,
            "body": values["body"],
            "date": row.decided_at or row.written_at,
        }
        for row, values in pairs
        if values["body"]
    ]
