"""Cart operations: open, add, change quantity, remove, total, purge stale carts.

The token is the only key to a cart, so holding it is the permission: no cookie, no session,
no account (C2.6, C7.4). Prices always come from the catalog at read time, the same for every
visitor whatever their cookie or consent choices.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lookout.cart.models import Cart, CartLine
from lookout.catalog.models import MAX_PER_LINE, Product
from lookout.core.errors import Conflict, LookoutError, NotFound
from lookout.core.inventory import CART_RETENTION
from lookout.core.money import usd
from lookout.core.rows import columns, read

MAX_QUANTITY = MAX_PER_LINE
SHIPPING = Decimal("0.00")  # free worldwide shipping (C1.3)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class CartError(LookoutError):
    pass


def is_well_formed(token: str) -> bool:
    return bool(_TOKEN.match(token or ""))


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
    # than the lookup itself (decision 0023, fourth addendum).
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
    product = _product(sku)
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


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    saving: Decimal


@dataclass(frozen=True)
class Summary:
    lines: list[Line]
    items: int
    subtotal: Decimal
    saving: Decimal
    shipping: Decimal
    total: Decimal


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
        for line in cart.lines.select_related("product__category")
    ]
    subtotal = usd(sum((line.line_total for line in lines), Decimal(0)))
    return Summary(
        lines=lines,
        items=sum(line.quantity for line in lines),
        subtotal=subtotal,
        saving=usd(sum((line.saving for line in lines), Decimal(0))),
        shipping=SHIPPING,
        total=usd(subtotal + SHIPPING),
    )


def purge_stale_carts(*, now: datetime | None = None) -> int:
    """Delete carts unchanged for CART_RETENTION; returns how many went."""
    cutoff = (now or timezone.now()) - CART_RETENTION.period
    stale = Cart.objects.filter(updated_at__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count
