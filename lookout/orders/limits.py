"""How many unpaid orders one visitor may hold at once (issue 20).

Placing an order takes its stock at once; without a bound, one visitor could take a product off
sale for the length of the hold by placing orders nobody pays. So a checkout is admitted only
while its visitor holds fewer than `max_unpaid()` orders waiting for payment, counted:

- per client network (an IPv6 /64 as one, as the sign-in limits count a client): each order
  keeps a keyed digest of it (`Order.hold_client`, never the address; blanked after a day by the
  rule `orders.hold_clients`). A hoarder can invent emails but not networks.
- per account, for a signed-in buyer.

Why not per guest email: a guest's email is not verified. Counting it bounds nothing (a hoarder
types a new one each time) and would let anyone who knows a person's email block that person's
checkout for the length of the hold by placing unpaid orders in their name (found in review).

The count is authoritative inside the order's transaction (`admit`), serialized per network
and per account: an advisory transaction lock on PostgreSQL, the write lock SQLite's
`BEGIN IMMEDIATE` already holds. It lives with the orders, not in a cache that evicts entries
under load, and costs no commit of its own. `precheck`, before anything is written, refuses
an obvious excess without creating the guest's key for an order that could not be admitted.
A repeated submit of an order already placed is always answered with that order.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from lookout.accounts.throttle import throttle_key_for_ip
from lookout.core.errors import LookoutError
from lookout.orders.models import Order, Status
from lookout.vault.blind_index import blind_index

if TYPE_CHECKING:
    from lookout.accounts.models import User

DEFAULT_MAX_UNPAID = 3
DEFAULT_HOLD_MINUTES = 30


class TooManyHolds(LookoutError):
    """The visitor already holds as many unpaid orders as one may."""

    status_code = 429


def hold_period() -> timedelta:
    """How long an unpaid order keeps its stock (`LOOKOUT_ORDER_HOLD_MINUTES`)."""
    return timedelta(
        minutes=int(getattr(settings, "LOOKOUT_ORDER_HOLD_MINUTES", DEFAULT_HOLD_MINUTES))
    )


def max_unpaid() -> int:
    return int(getattr(settings, "LOOKOUT_MAX_UNPAID_ORDERS", DEFAULT_MAX_UNPAID))


def client_digest(client: str) -> str:
    """What an order keeps of the network that placed it: a keyed digest of the network as the
    sign-in limits count it, so the orders table never holds the address."""
    return blind_index(throttle_key_for_ip(client), domain="order-holds-client")


def precheck(*, hold_client: str, user: User | None, idempotency_key: str) -> None:
    """Refuse early, before the checkout writes anything, a visitor already at the limit."""
    kind = _over(hold_client=hold_client, user=user, placing=None)
    if kind and not Order.objects.filter(idempotency_key=idempotency_key).exists():
        raise _refuse(kind)


def admit(*, order: Order, user: User | None) -> None:
    """Inside the order's transaction, before it commits: refuse (rolling the order back) if
    its visitor already holds `max_unpaid()` other unpaid orders."""
    keys = sorted(
        _lock_key(kind, value)
        for kind, value in (("client", order.hold_client), ("user", user and user.pk))
        if value
    )
    if keys and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys)), keys)
    kind = _over(hold_client=order.hold_client, user=user, placing=order)
    if kind:
        raise _refuse(kind)


def _over(*, hold_client: str, user: User | None, placing: Order | None) -> str:
    """Who is at the limit: "Your connection has", "You have", or ""."""
    limit = max_unpaid()
    if hold_client and _waiting("hold_client", hold_client, placing) >= limit:
        return "Your connection has"
    if user is not None and _waiting("user_id", user.pk, placing) >= limit:
        return "You have"
    return ""


# Checkout runs these counts for every order, written out (as the checkout's other reads are,
# decision 0023): compiling them with the ORM cost more than running them.
_WAITING_SQL = {
    "hold_client": "SELECT COUNT(*) FROM orders_order WHERE hold_client = %s AND status = %s",
    "user_id": "SELECT COUNT(*) FROM orders_order WHERE user_id = %s AND status = %s",
}


def _waiting(column: str, value: object, placing: Order | None) -> int:
    """Unpaid orders with this network digest (or of this account), other than `placing`."""
    sql = _WAITING_SQL[column]
    field = Order._meta.get_field("user" if column == "user_id" else column)
    params: list[Any] = [field.get_db_prep_value(value, connection), Status.PLACED.value]  # type: ignore[union-attr]
    if placing is not None:
        sql += " AND id <> %s"
        params.append(Order._meta.pk.get_db_prep_value(placing.pk, connection))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _lock_key(kind: str, value: object) -> int:
    digest = hashlib.blake2b(f"lookout-holds:{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _refuse(kind: str) -> TooManyHolds:
    minutes = int(hold_period().total_seconds() // 60)
    return TooManyHolds(
        f"{kind} already {max_unpaid()} orders waiting for payment. Pay for one of them or wait "
        f"until they are released (after {minutes} minutes) before placing another. Nothing "
        "was charged."
    )
