"""Discount codes against carts and orders: every refusal says why, the discount is exact to the
cent and shared across the lines so each line's share adds up to it, and an order keeps it."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lookout.cart.services import add_to_cart, apply_voucher, open_cart, summarize
from lookout.catalog.tests.factories import category
from lookout.orders.services import place_order
from lookout.orders.testing import details, make_product
from lookout.vouchers.models import Voucher
from lookout.vouchers.services import (
    CODE_ALPHABET,
    Item,
    Reason,
    VoucherRefused,
    allocate,
    compute,
    generate_batch,
    paid_for,
    preview,
    uses,
)
from lookout.vouchers.tests.conftest import items, voucher

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C1.2")
def test_ten_percent_of_three_lines_at_33_33_is_exact_and_shared_to_the_cent() -> None:
    discount = compute(voucher(), items("33.33", "33.33", "33.33"))
    # $99.99 x 10% = $9.999, half up: $10.00; the odd cent goes to the first line
    assert discount.amount == D("10.00")
    assert discount.shares == {1: D("3.34"), 2: D("3.33"), 3: D("3.33")}
    assert sum(discount.shares.values()) == discount.amount


@pytest.mark.commitment("C1.2")
@pytest.mark.parametrize(
    ("percent", "totals", "amount"),
    [
        (15, ["0.01", "0.01", "0.01"], "0.00"),  # 0.0045: below half a cent
        (50, ["0.01"], "0.01"),  # half a cent rounds up
        (33, ["19.99", "5.01", "0.03"], "8.26"),  # 25.03 x 33% = 8.2599
        (100, ["12.34", "0.66"], "13.00"),
        (7, ["1234567.89", "0.11"], "86419.76"),
    ],
)
def test_percentages_round_half_up_once_and_shares_add_up(percent, totals, amount) -> None:
    discount = compute(voucher(percent=percent), items(*totals))
    assert discount.amount == D(amount)
    assert sum(discount.shares.values(), D(0)) == discount.amount
    for item in items(*totals):
        assert D(0) <= discount.share(item.key) <= item.total
        assert discount.share(item.key).as_tuple().exponent == -2


@pytest.mark.commitment("C1.2")
def test_a_fixed_amount_is_shared_by_line_totals_and_never_more_than_the_items() -> None:
    five = voucher("FIVE", kind=Voucher.Kind.AMOUNT, amount=D("5.00"))
    discount = compute(five, items("10.00", "20.00", "0.01"))
    assert discount.amount == D("5.00")
    assert discount.shares == {1: D("1.67"), 2: D("3.33"), 3: D("0.00")}
    big = voucher("BIG", kind=Voucher.Kind.AMOUNT, amount=D("500.00"))
    assert compute(big, items("10.00", "0.99")).amount == D("10.99")


def test_allocation_is_exact_for_many_random_amounts() -> None:
    rng = secrets.SystemRandom()
    for _ in range(300):
        totals = [D(rng.randint(1, 100_000)) / 100 for _ in range(rng.randint(1, 6))]
        whole = sum(totals, D(0))
        amount = D(rng.randint(0, int(whole * 100))) / 100
        shares = allocate(amount, list(enumerate(totals)))
        assert sum(shares.values(), D(0)) == amount
        assert all(D(0) <= shares[i] <= t for i, t in enumerate(totals))


def test_each_refusal_says_why() -> None:
    now = timezone.now()
    day = timedelta(days=1)
    cases = [
        (voucher("OFF", active=False), ["50.00"], Reason.INACTIVE, "no longer valid"),
        (voucher("SOON", valid_from=now + 2 * day), ["50.00"], Reason.NOT_YET_VALID, "valid from"),
        (
            voucher("OLD", valid_from=now - 9 * day, valid_until=now - day),
            ["50.00"],
            Reason.EXPIRED,
            "expired on",
        ),
        (voucher("ONCE", usage_limit=1, times_used=1), ["50"], Reason.USED_UP, "already been used"),
        (
            voucher("BIGSPEND", minimum_order=D("100.00")),
            ["60.00", "39.99"],
            Reason.MINIMUM,
            "at least $100.00; your cart comes to $99.99",
        ),
    ]
    for found, lines, reason, words in cases:
        with pytest.raises(VoucherRefused) as refused:
            compute(found, items(*lines), now=now + timedelta(seconds=1))
        assert refused.value.reason == reason and words in refused.value.message, found
        assert refused.value.status_code == 409
    with pytest.raises(VoucherRefused) as unknown:
        preview("NOSUCHCODE", items("1.00"))
    assert unknown.value.reason == Reason.UNKNOWN and unknown.value.status_code == 404
    # the minimum is met exactly at the amount
    assert compute(Voucher.objects.get(code="BIGSPEND"), items("60.00", "40.00")).amount == D(
        "10.00"
    )


def test_a_code_for_one_category_discounts_only_its_products() -> None:
    indoor = category("indoor-cameras", "Indoor cameras")
    outdoor = category("outdoor-cameras", "Outdoor cameras")
    inside = make_product(category=indoor, price=D("40.00"))
    outside = make_product(category=outdoor, price=D("80.00"))
    code = voucher("INDOOR20", percent=20)
    code.categories.set([indoor])
    mixed = [Item(inside.pk, D("40.00")), Item(outside.pk, D("80.00"))]
    discount = preview("indoor20", mixed)  # looked up case-insensitively
    assert discount.amount == D("8.00") and discount.shares == {inside.pk: D("8.00")}
    with pytest.raises(VoucherRefused) as refused:
        preview("INDOOR20", [Item(outside.pk, D("80.00"), outdoor.pk)])
    assert refused.value.reason == Reason.NOT_APPLICABLE
    assert "does not apply to the products in your cart" in refused.value.message


@pytest.mark.commitment("C1.2")
@pytest.mark.usefixtures("policies")
def test_an_order_keeps_the_code_and_each_lines_share_and_totals_add_up() -> None:
    code = voucher("WELCOME10", usage_limit=None)
    cart, _ = open_cart()
    products = [make_product(price=D("33.33"), list_price=D("40.00")) for _ in range(3)]
    for p in products:
        add_to_cart(cart=cart, sku=p.sku)
    apply_voucher(cart=cart, code=" welcome10 ", ip="203.0.113.9")
    summary = summarize(cart=cart)
    assert (summary.subtotal, summary.discount, summary.total) == (
        D("99.99"),
        D("10.00"),
        D("89.99"),
    )
    order = place_order(
        cart=cart, delivery=details(), idempotency_key=secrets.token_urlsafe(16), user=None
    )
    order.refresh_from_db()
    assert (order.voucher_code, order.subtotal, order.discount, order.total) == (
        "WELCOME10",
        D("99.99"),
        D("10.00"),
        D("89.99"),
    )
    lines = list(order.lines.order_by("product_id"))
    assert [line.discount for line in lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(line.paid for line in lines) == order.total
    # a code without a limit is not counted at checkout (no hot row): its orders are its uses
    code.refresh_from_db()
    assert code.times_used == 0 and uses([code]) == {code.pk: 1}


@pytest.mark.usefixtures("policies")
def test_an_order_with_a_code_used_up_meanwhile_is_refused_and_nothing_is_placed() -> None:
    from lookout.orders.models import Order

    code = voucher("LASTONE", usage_limit=1)
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product().sku)
    apply_voucher(cart=cart, code="LASTONE", ip="203.0.113.9")
    Voucher.objects.filter(pk=code.pk).update(times_used=1)  # someone else's order took it
    with pytest.raises(VoucherRefused) as refused:
        place_order(cart=cart, delivery=details(), idempotency_key="k-lastone", user=None)
    assert refused.value.reason == Reason.USED_UP
    assert not Order.objects.filter(idempotency_key="k-lastone").exists()
    assert summarize(cart=cart).voucher_problem.startswith("The code LASTONE has already been used")


def test_a_refund_of_part_of_a_discounted_line_adds_up_to_what_was_paid() -> None:
    # 3 units, $100.00, $10.01 off: paid $89.99; one unit at a time gives back what the
    # running thirds round to (30.00, 59.99, 89.99): 30.00 + 29.99 + 30.00
    parts = [
        paid_for(line_total=D("100.00"), discount=D("10.01"), quantity=3, returning=1, before=n)
        for n in range(3)
    ]
    assert parts == [D("30.00"), D("29.99"), D("30.00")]
    assert sum(parts) == D("89.99")
    assert paid_for(line_total=D("100.00"), discount=D("10.01"), quantity=3, returning=3) == D(
        "89.99"
    )
    # without a discount: the unit price times the units, as before
    assert paid_for(line_total=D("59.97"), discount=D(0), quantity=3, returning=2) == D("39.98")


def test_a_batch_is_single_use_unambiguous_and_distinct() -> None:
    indoor = category("indoor-cameras", "Indoor cameras")
    made = generate_batch(
        count=40, prefix="spring-", percent=15, category_ids=[indoor.pk], minimum_order=D("20")
    )
    assert len({v.code for v in made}) == 40
    for v in made:
        assert v.code.startswith("SPRING-") and len(v.code) == len("SPRING-") + 10
        assert set(v.code.removeprefix("SPRING-")) <= set(CODE_ALPHABET)
        assert not set(v.code.removeprefix("SPRING-")) & set("01OIL")
        assert v.usage_limit == 1 and v.times_used == 0 and v.percent == 15
        assert list(v.categories.all()) == [indoor]
