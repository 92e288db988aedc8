"""Cart operations: open, add, change quantity, remove, total, purge stale carts.

The token is the only key to a cart, so holding it is the permission: no cookie, no session,
no account (C2.6, C7.4). Prices always come from the catalog at read time, the same for every
visitor whatever their cookie or consent choices.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.core import signing
from django.db import transaction
from django.utils import timezone

from lookout.cart.models import Cart, CartLine
from lookout.catalog.models import MAX_PER_LINE, Product
from lookout.core.errors import Conflict, LookoutError, NotFound
from lookout.core.inventory import CART_RETENTION
from lookout.core.money import format_usd, usd
from lookout.core.rows import columns, read
from lookout.core.tokens import is_well_formed_cart_token
from lookout.vouchers import services as vouchers

MAX_QUANTITY = MAX_PER_LINE
SHIPPING = Decimal("0.00")  # free worldwide shipping (C1.3)


class CartError(LookoutError):
    pass


def is_well_formed(token: str) -> bool:
    return is_well_formed_cart_token(token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_cart() -> tuple[Cart, str]:
    """A new empty cart and its token; the token is shown once, only its hash is kept."""
    token = secrets.token_urlsafe(32)
    return Cart.objects.create(token_hash=_hash(token)), token


# Written out (the columns named, core.rows.columns): every cart page and checkout asks.
_CART_BY_HASH_SQL = (
    f"SELECT {columns(Cart)} "  # noqa: S608  # nosec B608 (names from the model)
    "FROM cart_cart WHERE token_hash = %s"
)


_CART_FIELDS = [field.name for field in Cart._meta.concrete_fields]


def get_cart(*, token: str) -> Cart:
    """The cart for this token; the same NotFound for malformed and unknown tokens."""
    if not is_well_formed(token):
        raise NotFound("We could not find that cart. It may have expired.")
    # Written out: every cart page and checkout asks, and the ORM's compile step cost more CPU
    # than the lookup itself (decision 0023).
    found = read(Cart, _CART_BY_HASH_SQL, [_hash(token)], fields=_CART_FIELDS)
    if not found:
        raise NotFound("We could not find that cart. It may have expired.")
    return found[0]


def _product(sku: str) -> Product:
    if "\x00" in sku:  # no SKU holds a NUL, and PostgreSQL text cannot: unknown, not a 500
        raise NotFound("That product does not exist.")
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound("That product does not exist.")
    return product


def _purchasable(product: Product) -> Product:
    """A product with variants is bought through one of them (its colour, its pack size)."""
    if not product.purchasable:
        raise Conflict(
            f"The {product.name} comes in several versions: please choose one on its page "
            "before adding it to your cart."
        )
    return product


def _check_quantity(quantity: int, product: Product) -> None:
    if quantity < 1 or quantity > MAX_QUANTITY:
        raise CartError(f"Quantity must be between 1 and {MAX_QUANTITY}.")
    if quantity > product.stock:
        if product.stock == 0:
            raise Conflict(f"{product.name} is out of stock.")
        raise Conflict(f"Only {product.stock} of {product.name} in stock.")


@transaction.atomic
def add_to_cart(*, cart: Cart, sku: str, quantity: int = 1) -> CartLine:
    """Add `quantity` of a product; adding again raises the line's quantity."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    product = _purchasable(_product(sku))
    line = CartLine.objects.filter(cart=cart, product=product).first()
    total = quantity + (line.quantity if line else 0)
    if quantity < 1:
        raise CartError(f"Quantity must be between 1 and {MAX_QUANTITY}.")
    _check_quantity(total, product)
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, quantity=total)
    else:
        line.quantity = total
        line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def set_quantity(*, cart: Cart, sku: str, quantity: int) -> CartLine | None:
    """Set a line's quantity; zero removes the line."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    product = _product(sku)
    line = CartLine.objects.filter(cart=cart, product=product).first()
    if line is None:
        raise NotFound("That product is not in your cart.")
    if quantity == 0:
        line.delete()
        cart.save(update_fields=["updated_at"])
        return None
    _check_quantity(quantity, product)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return line


def remove_from_cart(*, cart: Cart, sku: str) -> None:
    set_quantity(cart=cart, sku=sku, quantity=0)


# --- refilling a cart ("buy again") --------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A product to put back in a cart, how many, and the price it had then."""

    product_id: int
    quantity: int
    was: Decimal | None = None


@dataclass(frozen=True)
class Refilled:
    """What a refill did with one product: `added` of `wanted`, and why not all of them."""

    name: str
    wanted: int
    added: int
    why_fewer: str  # "" (all of them), "sold_out", "stock" or "limit"
    price: Decimal
    was: Decimal | None


@transaction.atomic
def refill(*, cart: Cart, wanted: Iterable[Wanted]) -> list[Refilled]:
    """Put products back into a cart, each as far as it can be bought now: never more than
    the stock on the shelf, nor more than MAX_QUANTITY in one line (counting what the cart
    already holds). Prices are today's (the cart always shows the catalog's). Returns what
    happened to each product, so the shopper is told plainly what did not come back."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    merged: dict[int, Wanted] = {}
    for item in wanted:
        before = merged.get(item.product_id)
        quantity = item.quantity + (before.quantity if before else 0)
        merged[item.product_id] = Wanted(item.product_id, quantity, item.was)
    products = Product.objects.in_bulk(list(merged))
    lines = {line.product_id: line for line in CartLine.objects.filter(cart=cart)}
    results = []
    for product_id, item in merged.items():
        product = products.get(product_id)
        if product is None or item.quantity < 1 or not product.purchasable:
            continue
        line = lines.get(product_id)
        have = line.quantity if line else 0
        room = max(0, min(MAX_QUANTITY, product.stock) - have)
        added = min(item.quantity, room)
        why = ""
        if added < item.quantity:
            if product.stock == 0:
                why = "sold_out"
            elif have + item.quantity > MAX_QUANTITY and product.stock >= MAX_QUANTITY:
                why = "limit"
            else:
                why = "stock"
        if added and line is None:
            CartLine.objects.create(cart=cart, product=product, quantity=added)
        elif added and line is not None:
            line.quantity = have + added
            line.save(update_fields=["quantity"])
        results.append(Refilled(product.name, item.quantity, added, why, product.price, item.was))
    cart.save(update_fields=["updated_at"])
    return results


def refill_notes(results: Iterable[Refilled]) -> list[str]:
    """What the shopper is told after a refill: one sentence per product that did not come
    back in full, or whose price changed."""
    notes = []
    for r in results:
        if r.why_fewer == "sold_out":
            notes.append(f"{r.name} is sold out, so it was not added.")
        elif r.why_fewer == "limit":
            notes.append(
                f"One order may hold at most {MAX_QUANTITY} of {r.name}: "
                f"{'none' if r.added == 0 else r.added} added of the {r.wanted} you wanted."
            )
        elif r.why_fewer == "stock":
            notes.append(
                f"Only {r.added} of {r.name} could be added (you wanted {r.wanted}): "
                "that is all we have left for your cart."
                if r.added
                else f"{r.name} could not be added: your cart already holds all we have."
            )
        if r.added and r.was is not None and r.was != r.price:
            notes.append(
                f"{r.name} now costs {format_usd(r.price)} (it was {format_usd(r.was)}); "
                "your cart shows today's price."
            )
    return notes


REFILL_SALT = "lookout.cart.refill-notes"
REFILL_NOTES_SECONDS = 600


def sign_notes(notes: list[str]) -> str:
    """The notes, signed by the store, for the cart page's address: they reach the shopper
    with no cookie, and nobody can make the cart page say anything else."""
    return signing.dumps(notes, salt=REFILL_SALT, compress=True)


def read_notes(signed: str) -> list[str]:
    """The notes of a recent refill, or nothing for a forged, altered or stale value."""
    try:
        notes = signing.loads(signed, salt=REFILL_SALT, max_age=REFILL_NOTES_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return []
    if not isinstance(notes, list):
        return []
    return [str(n) for n in notes[:50]]


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    saving: Decimal
    discount: Decimal = Decimal("0.00")  # this line's share of a discount code


@dataclass(frozen=True)
class Summary:
    lines: list[Line]
    items: int
    subtotal: Decimal
    saving: Decimal
    shipping: Decimal
    total: Decimal
    voucher_code: str = ""  # the code on the cart, if any
    voucher_label: str = ""  # "10% off", when it applies
    discount: Decimal = Decimal("0.00")  # what it takes off
    voucher_problem: str = ""  # why a code on the cart does not apply now


def summarize(*, cart: Cart) -> Summary:
    """Lines and USD totals from current catalog prices (exact decimals, C1.2)."""
    lines = [
        Line(
            product=line.product,
            quantity=line.quantity,
            unit_price=line.product.price,
            line_total=usd(line.product.price * line.quantity),
            saving=usd((line.product.list_price - line.product.price) * line.quantity),
        )
        for line in cart.lines.select_related("product__category", "product__parent")
    ]
    subtotal = usd(sum((line.line_total for line in lines), Decimal(0)))
    summary = Summary(
        lines=lines,
        items=sum(line.quantity for line in lines),
        subtotal=subtotal,
        saving=usd(sum((line.saving for line in lines), Decimal(0))),
        shipping=SHIPPING,
        total=usd(subtotal + SHIPPING),
    )
    return with_voucher(summary, cart.voucher_code) if cart.voucher_code else summary


# --- discount codes (lookout.vouchers) --------------------------------------------------------


def _voucher_items(lines: Iterable[Line]) -> list[vouchers.Item]:
    return [
        vouchers.Item(
            key=line.product.pk, total=line.line_total, category_id=line.product.category_id
        )
        for line in lines
    ]


def with_voucher(summary: Summary, code: str) -> Summary:
    """The summary with the cart's discount code applied as the order would apply it now, or
    with the reason it does not apply (expired, minimum not reached, ...) and no discount."""
    try:
        discount = vouchers.preview(code, _voucher_items(summary.lines))
    except vouchers.VoucherRefused as refused:
        return replace(summary, voucher_code=code, voucher_problem=refused.message)
    return _discounted(summary, discount)


def _discounted(summary: Summary, discount: vouchers.Discount) -> Summary:
    return replace(
        summary,
        lines=[replace(line, discount=discount.share(line.product.pk)) for line in summary.lines],
        voucher_code=discount.code,
        voucher_label=discount.label,
        discount=discount.amount,
        total=usd(summary.subtotal - discount.amount + summary.shipping),
    )


def apply_voucher(*, cart: Cart, code: str, ip: str) -> Summary:
    """Put a discount code on the cart once it applies to it; else `VoucherRefused` saying why
    (or `Throttled`, 429, when the network has tried too many unknown codes). Nothing about the
    visitor is kept: the cart holds the code, and the order will."""
    voucher = vouchers.find(code, ip=ip)
    summary = _without_voucher(cart)
    discount = vouchers.preview(voucher.code, _voucher_items(summary.lines))  # or the reason
    Cart.objects.filter(pk=cart.pk).update(voucher_code=voucher.code, updated_at=timezone.now())
    cart.voucher_code = voucher.code
    return _discounted(summary, discount)


def remove_voucher(*, cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(voucher_code="", updated_at=timezone.now())
    cart.voucher_code = ""


def _without_voucher(cart: Cart) -> Summary:
    code, cart.voucher_code = cart.voucher_code, ""
    try:
        return summarize(cart=cart)
    finally:
        cart.voucher_code = code


def purge_stale_carts(*, now: datetime | None = None) -> int:
    """Delete carts unchanged for CART_RETENTION; returns how many went."""
    cutoff = (now or timezone.now()) - CART_RETENTION.period
    stale = Cart.objects.filter(updated_at__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count
