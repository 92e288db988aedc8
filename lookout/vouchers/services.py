"""Discount codes: checking one against a cart, the discount to the cent and its share per line,
redeeming it with an order, and making batches of single-use codes.

Rounding (C1.2, exact to the cent):
- A percentage is taken of the eligible items' total and rounded half up to the cent
  (`core.money.usd`), once for the order, never per line. A fixed amount is at most the eligible
  items' total: an order is never negative.
- The discount is shared across the eligible lines in proportion to their totals by largest
  remainder: each line gets its exact share rounded down to the cent, and the cents left over
  go one each to the lines whose shares lost most, ties to the lower product id. The shares add
  up to the discount exactly and no line gets more than its own total, so a refund of a line
  can give back exactly what was paid for it (`paid_for`). Three lines of $33.33 with 10% off:
  $10.00 off ($99.99 x 10% = $9.999), shared $3.34, $3.33, $3.33.
- The minimum order is compared with the whole cart's subtotal (before the discount).

Redeeming runs inside the order's transaction. A code with a usage limit is counted by one
conditional UPDATE (`... SET times_used = times_used + 1 WHERE times_used < usage_limit`): the
row stays locked until the order commits, and a second checkout with a single-use code waits,
then finds it used up (on SQLite the write lock serializes them already). A check constraint
refuses a count over the limit as a last line. A code without a limit is not counted at
checkout: every checkout with one popular code would update its one row and wait for each
other's commits (measured: about half the orders per second with 16 clients on PostgreSQL);
its uses are the orders that name it (`uses`, shown in the admin).

Nothing here records who used a code: the order keeps it (and each line's share), nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.core.money import CENT, format_usd, usd
from lookout.core.rows import read
from lookout.vouchers.models import CODE_MAX, Voucher, normalise_code

# No 0/O, 1/I/L: a code read from paper or over the phone is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10, about 8e14 codes: guessing one is hopeless at the rate limit
BATCH_MAX = 1000
DEFAULT_GUESS_LIMIT = 10


class Reason:
    INVALID = "invalid"  # empty, or not something a code can be (400)
    UNKNOWN = "unknown"
    INACTIVE = "inactive"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    USED_UP = "used_up"
    NOT_APPLICABLE = "not_applicable"
    MINIMUM = "minimum_not_reached"
    EMPTY = "empty_cart"


class VoucherRefused(LookoutError):
    """The code cannot be used on this cart; `reason` says why (a `Reason` value) for the API,
    the message says it for a person. 400 for what cannot be a code, 404 for an unknown code,
    409 for a code that does not apply."""

    status_code = 409

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        if reason == Reason.UNKNOWN:
            self.status_code = 404
        elif reason == Reason.INVALID:
            self.status_code = 400


@dataclass(frozen=True)
class Item:
    """One line of a cart or an order: `key` the product id, its category (None: not known,
    looked up when the code is limited to categories) and the line's total."""

    key: int
    total: Decimal
    category_id: int | None = None


@dataclass(frozen=True)
class Discount:
    """What a code takes off: `amount` in all, `shares` per line key (eligible lines only)."""

    code: str
    label: str
    amount: Decimal
    shares: dict[int, Decimal] = field(default_factory=dict)

    def share(self, key: int) -> Decimal:
        return self.shares.get(key, Decimal("0.00"))


# --- finding a code ---------------------------------------------------------------------------


def clean(code: str) -> str:
    """The code as stored, or a refusal for something that cannot be a code."""
    code = normalise_code(code or "")
    if not code:
        raise VoucherRefused(Reason.INVALID, "Enter a discount code.")
    if len(code) > CODE_MAX or not code.isascii() or not code.replace("-", "").isalnum():
        raise VoucherRefused(
            Reason.INVALID,
            f"A discount code holds letters, digits and '-' only, at most {CODE_MAX} of them.",
        )
    return code


def guess_limit() -> int:
    return int(getattr(settings, "LOOKOUT_VOUCHER_GUESS_LIMIT", DEFAULT_GUESS_LIMIT))


def find(code: str, *, ip: str) -> Voucher:
    """The voucher for a code a visitor typed. Every unknown code counts against the client
    network's budget of guesses (the sign-in limiter, `accounts.throttle`: per IPv4 address or
    IPv6 /64, across workers); past it, `Throttled` (429) is raised before the code is looked
    up, even a right one. A known code gives its place back. Call it outside a transaction."""
    from lookout.accounts.throttle import Bucket, guarded, throttle_key_for_ip

    code = clean(code)
    voucher = guarded(
        buckets=[Bucket("voucher-guess", throttle_key_for_ip(ip), guess_limit())],
        check=lambda: Voucher.objects.filter(code=code).first(),
        what="discount codes tried",
    )
    if voucher is None:
        raise VoucherRefused(Reason.UNKNOWN, "We do not know that discount code.")
    return voucher


# --- the discount -----------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def _check_state(voucher: Voucher, now: datetime) -> None:
    if not voucher.active:
        raise VoucherRefused(Reason.INACTIVE, f"The code {voucher.code} is no longer valid.")
    if now < voucher.valid_from:
        day = _day(voucher.valid_from)
        raise VoucherRefused(Reason.NOT_YET_VALID, f"The code {voucher.code} is valid from {day}.")
    if voucher.valid_until is not None and now >= voucher.valid_until:
        day = _day(voucher.valid_until)
        raise VoucherRefused(Reason.EXPIRED, f"The code {voucher.code} expired on {day}.")
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        raise VoucherRefused(
            Reason.USED_UP,
            f"The code {voucher.code} has already been used"
            + ("." if voucher.usage_limit == 1 else f" {voucher.usage_limit} times, its limit."),
        )


def compute(
    voucher: Voucher,
    items: Sequence[Item],
    *,
    eligible: Iterable[int] | None = None,
    now: datetime | None = None,
) -> Discount:
    """The discount `voucher` gives on these lines, or `VoucherRefused` saying why none.

    `eligible` is the keys of the lines the code applies to (None: every line); a code limited
    to categories is resolved by `eligible_keys`."""
    _check_state(voucher, now or timezone.now())
    if not items:
        raise VoucherRefused(Reason.EMPTY, "Your cart is empty.")
    keys = set(eligible) if eligible is not None else {item.key for item in items}
    chosen = [item for item in items if item.key in keys and item.total > 0]
    if not chosen:
        raise VoucherRefused(
            Reason.NOT_APPLICABLE,
            f"The code {voucher.code} does not apply to the products in your cart.",
        )
    subtotal = usd(sum((item.total for item in items), Decimal(0)))
    if subtotal < voucher.minimum_order:
        raise VoucherRefused(
            Reason.MINIMUM,
            f"The code {voucher.code} needs an order of at least "
            f"{format_usd(voucher.minimum_order)}; your cart comes to {format_usd(subtotal)}.",
        )
    base = usd(sum((item.total for item in chosen), Decimal(0)))
    if voucher.kind == Voucher.Kind.PERCENT:
        amount = usd(base * voucher.percent / 100)
    else:
        amount = min(usd(voucher.amount), base)
    return Discount(
        code=voucher.code,
        label=voucher.describe,
        amount=amount,
        shares=allocate(amount, [(item.key, item.total) for item in chosen]),
    )


def allocate(amount: Decimal, lines: Sequence[tuple[int, Decimal]]) -> dict[int, Decimal]:
    """Share `amount` across lines in proportion to their totals, to the cent, by largest
    remainder (ties to the lower key). The shares add up to `amount` exactly; none is more than
    its line's total when `amount` is at most their sum."""
    if not lines:
        return {}
    cents = int(usd(amount) / CENT)
    totals = [(key, int(usd(total) / CENT)) for key, total in sorted(lines)]
    whole = sum(total for _, total in totals)
    if whole <= 0:
        return {key: Decimal("0.00") for key, _ in totals}
    floors: list[tuple[int, int, int]] = []  # key, cents, remainder numerator
    for key, total in totals:
        share, remainder = divmod(cents * total, whole)
        floors.append((key, share, remainder))
    left = cents - sum(share for _, share, _ in floors)
    extra = {
        key
        for key, _, _ in sorted(floors, key=lambda f: (-f[2], f[0]))[:left]  # biggest loss first
    }
    return {
        key: (Decimal(share + (1 if key in extra else 0)) * CENT).quantize(CENT)
        for key, share, _ in floors
    }


def eligible_keys(voucher_id: int, items: Sequence[Item]) -> set[int]:
    """The lines a code limited to categories applies to: one query, or none when every line
    already says its category."""
    if all(item.category_id is not None for item in items):
        category_ids = set(voucher_categories(voucher_id))
        return {item.key for item in items if item.category_id in category_ids}
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(items))
        cursor.execute(
            "SELECT p.id FROM catalog_product AS p JOIN vouchers_voucher_categories AS vc "  # noqa: S608  # nosec B608 (placeholders only)
            f"ON vc.category_id = p.category_id WHERE vc.voucher_id = %s AND p.id IN ({marks})",
            [voucher_id, *[item.key for item in items]],
        )
        return {row[0] for row in cursor.fetchall()}


def voucher_categories(voucher_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT category_id FROM vouchers_voucher_categories WHERE voucher_id = %s",
            [voucher_id],
        )
        return [row[0] for row in cursor.fetchall()]


def preview(code: str, items: Sequence[Item], *, now: datetime | None = None) -> Discount:
    """The discount a code already on a cart would give now (the cart and checkout pages), or
    `VoucherRefused`. Not counted against the guess budget: the code got onto the cart through
    `find`, which was."""
    found = _read(clean(code))
    if found is None:
        raise VoucherRefused(Reason.UNKNOWN, "We do not know that discount code.")
    eligible = eligible_keys(found.pk, items) if found.restricted else None  # type: ignore[attr-defined]
    return compute(found, items, eligible=eligible, now=now)


# --- redeeming --------------------------------------------------------------------------------

_BY_CODE_SQL = (
    "SELECT v.id, v.code, v.kind, v.percent, v.amount, v.minimum_order, v.valid_from, "
    "v.valid_until, v.usage_limit, v.times_used, v.active, "
    "EXISTS (SELECT 1 FROM vouchers_voucher_categories AS vc WHERE vc.voucher_id = v.id) "
    "AS restricted FROM vouchers_voucher AS v WHERE v.code = %s"
)
_FIELDS = [
    "id", "code", "kind", "percent", "amount", "minimum_order", "valid_from", "valid_until",
    "usage_limit", "times_used", "active",
]  # fmt: skip
_COUNT_LIMITED_SQL = (
    "UPDATE vouchers_voucher SET times_used = times_used + 1 "
    "WHERE id = %s AND usage_limit IS NOT NULL AND times_used < usage_limit"
)


def _read(code: str) -> Voucher | None:
    found: list[Any] = read(Voucher, _BY_CODE_SQL, [code], fields=_FIELDS, extra=["restricted"])
    return found[0] if found else None


def redeem(code: str, items: Sequence[Item], *, now: datetime | None = None) -> Discount:
    """Check the code against the order's lines and count one use, inside the order's
    transaction (a refusal raises `VoucherRefused` and the caller's transaction rolls back).

    One to three statements: the voucher (with whether it is limited to categories), the
    eligible lines if it is, and the count if it has a limit. A single-use code redeemed by two
    checkouts at once is counted once: the second waits on the row and finds it used up."""
    voucher = _read(clean(code))
    if voucher is None:
        raise VoucherRefused(Reason.UNKNOWN, "We do not know that discount code.")
    eligible = eligible_keys(voucher.pk, items) if voucher.restricted else None  # type: ignore[attr-defined]
    discount = compute(voucher, items, eligible=eligible, now=now)
    if voucher.usage_limit is None:  # nothing to guard: its uses are its orders (`uses`)
        return discount
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_LIMITED_SQL, [voucher.pk])
        counted = cursor.rowcount
    if counted != 1:
        raise VoucherRefused(
            Reason.USED_UP,
            f"The code {voucher.code} has just been used up; nothing was charged. Remove it "
            "from your cart to continue.",
        )
    return discount


def uses(vouchers: Iterable[Voucher]) -> dict[int, int]:
    """{voucher id: how many orders used it}: the count kept for a code with a limit, the orders
    naming it for one without (counted from the orders table, looked up by name: this app sits
    below orders and imports nothing of it)."""
    from django.apps import apps

    found = list(vouchers)
    unlimited = [v.code for v in found if v.usage_limit is None]
    counted: dict[str, int] = {}
    if unlimited:
        Order = apps.get_model("orders", "Order")
        counted = dict(
            Order.objects.filter(voucher_code__in=unlimited)
            .values("voucher_code")
            .annotate(n=Count("pk"))
            .values_list("voucher_code", "n")
        )
    return {
        v.pk: v.times_used if v.usage_limit is not None else counted.get(v.code, 0) for v in found
    }


# --- refunds ----------------------------------------------------------------------------------


def paid_for(
    *, line_total: Decimal, discount: Decimal, quantity: int, returning: int, before: int = 0
) -> Decimal:
    """What the buyer paid for `returning` units of a line of `quantity` units whose total was
    `line_total` less its share `discount` of a code, when `before` units of it were returned
    already. Cumulative, so returning every unit, in any number of returns, gives back exactly
    the line's paid total; without a discount it is the unit price times the units."""
    paid = usd(line_total - discount)
    if quantity <= 0 or returning <= 0:
        return Decimal("0.00")
    upto = min(quantity, before + returning)

    def cumulative(units: int) -> Decimal:
        return usd(paid * units / quantity)

    return usd(cumulative(upto) - cumulative(before))


# --- batches ----------------------------------------------------------------------------------


def new_code(prefix: str = "", length: int = CODE_LENGTH) -> str:
    return normalise_code(prefix) + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@transaction.atomic
def generate_batch(
    *,
    count: int,
    prefix: str = "",
    kind: str = Voucher.Kind.PERCENT,
    percent: int = 0,
    amount: Decimal = Decimal(0),
    minimum_order: Decimal = Decimal(0),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    category_ids: Iterable[int] = (),
) -> list[Voucher]:
    """`count` new single-use codes of one kind, from the operating system's secure random
    source, in the alphabet people read without mistakes (`CODE_ALPHABET`)."""
    if not 1 <= count <= BATCH_MAX:
        raise LookoutError(f"Make between 1 and {BATCH_MAX} codes at a time.")
    prefix = normalise_code(prefix)
    if len(prefix) + CODE_LENGTH > CODE_MAX or not (
        prefix.replace("-", "").isalnum() or not prefix
    ):
        raise LookoutError(
            f"The prefix may hold letters, digits and '-', at most {CODE_MAX - CODE_LENGTH}."
        )
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code(prefix))
    taken = set(Voucher.objects.filter(code__in=codes).values_list("code", flat=True))
    codes -= taken
    while len(codes) < count:  # a clash with an existing code: about never
        code = new_code(prefix)
        if not Voucher.objects.filter(code=code).exists():
            codes.add(code)
    vouchers = [
        Voucher(
            code=code,
            kind=kind,
            percent=percent if kind == Voucher.Kind.PERCENT else 0,
            amount=usd(amount) if kind == Voucher.Kind.AMOUNT else Decimal(0),
            minimum_order=usd(minimum_order),
            valid_from=valid_from or timezone.now(),
            valid_until=valid_until,
            usage_limit=1,
        )
        for code in sorted(codes)
    ]
    Voucher.objects.bulk_create(vouchers)
    created = list(Voucher.objects.filter(code__in=codes).order_by("code"))
    category_ids = list(category_ids)
    if category_ids:
        through = Voucher.categories.through
        through.objects.bulk_create(
            [through(voucher_id=v.pk, category_id=c) for v in created for c in category_ids]
        )
    return created
