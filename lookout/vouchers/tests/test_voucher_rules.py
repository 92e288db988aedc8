"""A discount code's rules, each to the letter (C1.2): the first and the last moment it is valid
and the day a shopper is told, its use limits and the count kept, the words of every refusal,
what can be typed as a code, the cent that goes to the lower product id, the lines a code for
some categories discounts at the cart and at checkout, and a redeemed order's record; a refused
code writes nothing."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from lookout.cart.models import Cart
from lookout.cart.services import add_to_cart, apply_voucher, open_cart, summarize
from lookout.catalog.tests.factories import category
from lookout.orders.models import Order
from lookout.orders.services import place_order
from lookout.orders.testing import details, make_product
from lookout.vouchers import services
from lookout.vouchers.models import CODE_MAX, Voucher
from lookout.vouchers.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Item,
    Reason,
    VoucherRefused,
    allocate,
    clean,
    compute,
    new_code,
    paid_for,
    preview,
    redeem,
    uses,
)
from lookout.vouchers.tests.conftest import items, voucher

D = Decimal
IP = "203.0.113.21"
pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C1.2")]


def refusal(call, *args, **kw) -> VoucherRefused:
    with pytest.raises(VoucherRefused) as refused:
        call(*args, **kw)
    return refused.value


def _order(cart, key: str | None = None) -> Order:
    return place_order(
        cart=cart,
        delivery=details(),
        idempotency_key=key or secrets.token_urlsafe(16),
        user=None,
    )


# --- dates ------------------------------------------------------------------------------------


def test_a_code_is_valid_from_its_first_moment_and_before_it_says_the_day() -> None:
    # given a code valid from 5 March 2027, 09:30 UTC
    start = datetime(2027, 3, 5, 9, 30, tzinfo=UTC)
    soon = voucher("SOON", valid_from=start)
    # when it is used at that very moment, then it applies
    assert compute(soon, items("50.00"), now=start).amount == D("5.00")
    # when it is used a moment before, then it is refused, naming the day it starts
    early = refusal(compute, soon, items("50.00"), now=start - timedelta(microseconds=1))
    assert early.reason == Reason.NOT_YET_VALID and early.status_code == 409
    assert early.message == "The code SOON is valid from 5 March 2027."
    # and the day is the shop's local day
    with timezone.override("America/Los_Angeles"):
        early = refusal(compute, soon, items("50.00"), now=start - timedelta(days=1))
    assert early.message == "The code SOON is valid from 5 March 2027."


def test_a_code_ends_at_its_last_moment_and_after_it_says_the_day_it_expired() -> None:
    # given a code valid until 30 June 2027, 22:00 UTC
    end = datetime(2027, 6, 30, 22, 0, tzinfo=UTC)
    old = voucher("OLD", valid_from=end - timedelta(days=30), valid_until=end)
    # when it is used a moment before its end, then it applies
    assert compute(old, items("50.00"), now=end - timedelta(microseconds=1)).amount == D("5.00")
    # when it is used at its end, then it is refused, naming the day it expired
    late = refusal(compute, old, items("50.00"), now=end)
    assert late.reason == Reason.EXPIRED and late.status_code == 409
    assert late.message == "The code OLD expired on 30 June 2027."
    # and the day is the shop's local day (22:00 UTC is 1 July in Tokyo)
    with timezone.override("Asia/Tokyo"):
        assert refusal(compute, old, items("50.00"), now=end).message == (
            "The code OLD expired on 1 July 2027."
        )


def test_the_moment_given_to_preview_and_redeem_decides_the_dates() -> None:
    # given a code valid for one week, starting in ten days
    now = timezone.now()
    voucher("LATER", valid_from=now + timedelta(days=10), valid_until=now + timedelta(days=17))
    # when the cart and the checkout ask for a moment within the week, then it applies
    inside = now + timedelta(days=12)
    assert preview("later", items("20.00"), now=inside).amount == D("2.00")
    with transaction.atomic():
        assert redeem("later", items("20.00"), now=inside).amount == D("2.00")
    # when they ask for a moment after it, then it is refused as expired
    after = now + timedelta(days=20)
    assert refusal(preview, "LATER", items("20.00"), now=after).reason == Reason.EXPIRED
    assert refusal(redeem, "LATER", items("20.00"), now=after).reason == Reason.EXPIRED
    # and asked for the present moment, it is not valid yet
    assert refusal(preview, "LATER", items("20.00")).reason == Reason.NOT_YET_VALID


# --- use limits -------------------------------------------------------------------------------


def test_a_used_up_code_says_so_in_words_that_fit_its_limit() -> None:
    # given a single-use code used once, a code for two uses used twice, one for three used twice
    once = voucher("ONCE", usage_limit=1, times_used=1)
    twice = voucher("TWICE", usage_limit=2, times_used=2)
    thrice = voucher("THRICE", usage_limit=3, times_used=2)
    # when each is used, then the first two are refused, each saying so
    first = refusal(compute, once, items("40.00"))
    assert first.reason == Reason.USED_UP and first.status_code == 409
    assert first.message == "The code ONCE has already been used."
    second = refusal(compute, twice, items("40.00"))
    assert second.reason == Reason.USED_UP
    assert second.message == "The code TWICE has already been used 2 times, its limit."
    # and the third still has a use left
    assert compute(thrice, items("40.00")).amount == D("4.00")


@pytest.mark.usefixtures("policies")
def test_a_single_use_code_is_counted_once_by_the_order_that_uses_it() -> None:
    # given a single-use code for 20% on a cart of one $80.00 camera
    code = voucher("ONLYONE", percent=20, usage_limit=1)
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("80.00")).sku)
    apply_voucher(cart=cart, code="onlyone", ip=IP)
    # when the order is placed, then it is discounted and the code counts one use
    order = _order(cart)
    assert (order.voucher_code, order.discount, order.total) == (
        "ONLYONE",
        D("16.00"),
        D("64.00") + order.shipping,
    )
    code.refresh_from_db()
    assert code.times_used == 1 and uses([code]) == {code.pk: 1}
    # when another checkout tries it, then it is refused and nothing is counted
    other = refusal(redeem, "ONLYONE", items("80.00"))
    assert other.message == "The code ONLYONE has already been used."
    code.refresh_from_db()
    assert code.times_used == 1


def test_a_code_with_a_limit_counts_each_redemption_up_to_the_limit() -> None:
    # given a code for three uses
    code = voucher("THREE", usage_limit=3)
    # when it is redeemed three times, then each gives its discount and counts one use
    for n in (1, 2, 3):
        with transaction.atomic():
            assert redeem("three", items("30.00")).amount == D("3.00")
        code.refresh_from_db()
        assert code.times_used == n
    # and the fourth is refused, with the count left at the limit
    assert refusal(redeem, "THREE", items("30.00")).message == (
        "The code THREE has already been used 3 times, its limit."
    )
    code.refresh_from_db()
    assert code.times_used == 3


@pytest.mark.usefixtures("policies")
def test_a_code_used_up_by_another_checkout_after_it_was_read_is_refused_and_nothing_placed(
    monkeypatch,
) -> None:
    # given a single-use code on a cart, and another checkout that counts its one use after
    # this checkout read the code as unused (between the read and the count)
    code = voucher("LASTONE", usage_limit=1)
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("50.00")).sku)
    apply_voucher(cart=cart, code="LASTONE", ip=IP)
    real_compute = services.compute

    def meanwhile(*args, **kw):
        discount = real_compute(*args, **kw)
        Voucher.objects.filter(pk=code.pk).update(times_used=F("times_used") + 1)
        return discount

    monkeypatch.setattr(services, "compute", meanwhile)
    # when this checkout places its order, then it is told the code was just used up
    refused = refusal(_order, cart, "k-lastone")
    assert refused.reason == Reason.USED_UP and refused.status_code == 409
    assert refused.message == (
        "The code LASTONE has just been used up; nothing was charged. Remove it from your cart "
        "to continue."
    )
    # and nothing is placed (the order's transaction rolled back; here it took the other
    # checkout's count with it, which a real one commits on its own)
    assert not Order.objects.exists()


@pytest.mark.usefixtures("policies")
def test_uses_are_the_count_kept_for_a_limited_code_and_the_orders_for_an_unlimited_one() -> None:
    # given a limited code counted twice, an unlimited code never used, one used by an order
    counted = voucher("COUNTED", usage_limit=5, times_used=2)
    unused = voucher("UNUSED")
    used = voucher("USEDONCE")
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("10.00")).sku)
    apply_voucher(cart=cart, code="USEDONCE", ip=IP)
    _order(cart)
    # when their uses are asked for, then each is what it says
    assert uses([counted, unused, used]) == {counted.pk: 2, unused.pk: 0, used.pk: 1}


# --- what a code can be -----------------------------------------------------------------------


def test_an_empty_code_is_asked_for_on_the_cart_page() -> None:
    # given a cart and a code that exists
    voucher("XXXX")
    cart, token = open_cart()
    add_to_cart(cart=cart, sku=make_product().sku)
    # when the code field is sent empty, then the page asks for a code (400)
    page = Client().post(f"/cart/{token}/voucher/", {"code": ""})
    assert page.status_code == 400
    assert "Enter a discount code." in page.content.decode()
    # and the service says it in those words exactly
    empty = refusal(apply_voucher, cart=cart, code="", ip=IP)
    assert (empty.reason, empty.status_code, empty.message) == (
        Reason.INVALID,
        400,
        "Enter a discount code.",
    )
    assert refusal(clean, "  ").message == "Enter a discount code."
    cart.refresh_from_db()
    assert cart.voucher_code == ""


def test_what_can_be_a_code_letters_digits_and_dashes_up_to_32() -> None:
    too_long = "A discount code holds letters, digits and '-' only, at most 32 of them."
    # a code of 32 characters is one; 33 is not
    assert CODE_MAX == 32
    assert clean("a" * 32) == "A" * 32
    assert refusal(clean, "A" * 33).message == too_long
    # a dash inside a code is kept, and spaces and case do not matter
    assert clean(" spring-7k2m ") == "SPRING-7K2M"
    assert clean("vip - 2 x") == "VIP-2X"
    # letters of other alphabets and wide digits are not ASCII: refused
    wide = "\N{FULLWIDTH LATIN CAPITAL LETTER A}\N{FULLWIDTH DIGIT ONE}"
    for typed in ("café", wide, "ÆBLE"):
        refused = refusal(clean, typed)
        assert (refused.reason, refused.status_code, refused.message) == (
            Reason.INVALID,
            400,
            too_long,
        )
    # dashes alone are not a code
    for typed in ("-", "---"):
        assert refusal(clean, typed).message == too_long


def test_a_code_with_a_dash_typed_in_any_case_is_found_and_applied() -> None:
    # given a code with a dash
    voucher("SPRING-7K2M", percent=15)
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("20.00")).sku)
    # when it is typed in lower case with spaces, then it is found and applied
    summary = apply_voucher(cart=cart, code=" spring-7k2m ", ip=IP)
    assert (summary.voucher_code, summary.discount) == ("SPRING-7K2M", D("3.00"))


def test_an_unknown_code_is_refused_in_the_same_words_everywhere() -> None:
    unknown = "We do not know that discount code."
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("20.00")).sku)
    # when an unknown code is typed, then it is refused (404) in these words
    typed = refusal(apply_voucher, cart=cart, code="NOSUCH", ip=IP)
    assert (typed.reason, typed.status_code, typed.message) == (Reason.UNKNOWN, 404, unknown)
    # when a code on a cart is unknown at preview or at checkout, then the same
    for call in (preview, redeem):
        later = refusal(call, "NOSUCH", items("20.00"))
        assert (later.reason, later.status_code, later.message) == (Reason.UNKNOWN, 404, unknown)


@pytest.mark.usefixtures("policies")
def test_a_code_deleted_once_on_the_cart_is_shown_unknown_and_refused_at_checkout() -> None:
    # given a code on a cart, then deleted by the catalog manager
    code = voucher("GONE")
    cart, _ = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=D("20.00")).sku)
    apply_voucher(cart=cart, code="GONE", ip=IP)
    code.delete()
    # when the cart is shown, then it says the code is unknown and gives no discount
    summary = summarize(cart=cart)
    assert summary.voucher_problem == "We do not know that discount code."
    assert summary.discount == D("0.00")
    # when the order is placed, then it is refused in the same words and nothing is placed
    refused = refusal(_order, cart, "k-gone")
    assert (refused.reason, refused.status_code, refused.message) == (
        Reason.UNKNOWN,
        404,
        "We do not know that discount code.",
    )
    assert not Order.objects.exists()


def test_a_new_code_is_ten_characters_people_read_without_mistakes() -> None:
    # when a code is drawn without a prefix, then it is ten characters of the alphabet only
    for _ in range(20):
        code = new_code()
        assert len(code) == CODE_LENGTH == 10
        assert set(code) <= set(CODE_ALPHABET)
    # and with a prefix, the prefix as stored comes first
    assert new_code("vip-").startswith("VIP-") and len(new_code("vip-")) == 14


# --- the cart and the lines -------------------------------------------------------------------


def test_an_empty_cart_is_told_it_is_empty() -> None:
    # given a code and an empty cart
    code = voucher("SAVE10")
    cart, _ = open_cart()
    # when the code is applied, then the cart is refused as empty (409), and keeps no code
    empty = refusal(apply_voucher, cart=cart, code="save10", ip=IP)
    assert (empty.reason, empty.status_code, empty.message) == (
        Reason.EMPTY,
        409,
        "Your cart is empty.",
    )
    cart.refresh_from_db()
    assert cart.voucher_code == ""
    assert refusal(compute, code, []).message == "Your cart is empty."


def test_a_free_line_takes_no_share_and_a_code_only_for_free_lines_does_not_apply() -> None:
    # given a cart of a $20.00 line and a free one
    code = voucher("SAVE10")
    lines = [Item(key=1, total=D("20.00")), Item(key=2, total=D("0.00"))]
    # when 10% is taken, then the paid line takes all of it and the free one has no share
    discount = compute(code, lines)
    assert discount.amount == D("2.00") and discount.shares == {1: D("2.00")}
    assert discount.share(2) == D("0.00")
    # when the code applies to the free line only, then it does not apply
    refused = refusal(compute, code, lines, eligible={2})
    assert refused.reason == Reason.NOT_APPLICABLE and refused.status_code == 409
    assert refused.message == "The code SAVE10 does not apply to the products in your cart."


def test_the_left_over_cent_goes_to_the_lower_product_id_when_two_lines_lose_the_same() -> None:
    # given $1.50 off lines of $30.00 (product 1) and $10.00 (product 2): exact shares $1.125
    # and $0.375 both lose half a cent
    fixed = voucher("ONEFIFTY", kind=Voucher.Kind.AMOUNT, amount=D("1.50"))
    # when it is shared, then the cent goes to product 1, the lower id, whatever its share
    discount = compute(fixed, items("30.00", "10.00"))
    assert discount.shares == {1: D("1.13"), 2: D("0.37")}
    discount = compute(fixed, items("10.00", "30.00"))
    assert discount.shares == {1: D("0.38"), 2: D("1.12")}


def test_nothing_to_share_over_lines_of_nothing_gives_each_line_zero_cents() -> None:
    # when no cents are shared over lines that cost nothing, then each gets $0.00
    shares = allocate(D("0.00"), [(1, D("0.00")), (2, D("0.00"))])
    assert shares == {1: D("0.00"), 2: D("0.00")}
    assert all(share.as_tuple().exponent == -2 for share in shares.values())
    assert allocate(D("5.00"), []) == {}


def _indoor_outdoor_cart() -> tuple[Voucher, Cart, int, int]:
    """A code for indoor cameras, and a cart of an indoor ($40.00) and an outdoor ($80.00)."""
    indoor = category("indoor-cameras", "Indoor cameras")
    outdoor = category("outdoor-cameras", "Outdoor cameras")
    inside = make_product(category=indoor, price=D("40.00"), list_price=D("50.00"))
    outside = make_product(category=outdoor, price=D("80.00"), list_price=D("90.00"))
    code = voucher("INDOOR20", percent=20)
    code.categories.set([indoor])
    cart, _ = open_cart()
    for product in (inside, outside):
        add_to_cart(cart=cart, sku=product.sku)
    return code, cart, inside.pk, outside.pk


def test_a_code_for_one_category_discounts_only_its_lines_on_the_cart() -> None:
    # given a code for indoor cameras, and a cart of an indoor and an outdoor camera
    _code, cart, inside, outside = _indoor_outdoor_cart()
    # when the code is applied, then 20% of the indoor camera only is taken off
    applied = apply_voucher(cart=cart, code="indoor20", ip=IP)
    summary = summarize(cart=cart)
    for shown in (applied, summary):
        assert (shown.subtotal, shown.discount) == (D("120.00"), D("8.00"))
        by_product = {line.product.pk: line.discount for line in shown.lines}
        assert by_product == {inside: D("8.00"), outside: D("0.00")}


@pytest.mark.usefixtures("policies")
def test_a_code_for_one_category_discounts_only_its_lines_of_the_order() -> None:
    # given a code for indoor cameras on a cart of an indoor and an outdoor camera
    code, cart, inside, outside = _indoor_outdoor_cart()
    apply_voucher(cart=cart, code="INDOOR20", ip=IP)
    # when the order is placed, then it records the code and 20% off the indoor line only
    order = _order(cart)
    order.refresh_from_db()
    assert (order.voucher_code, order.subtotal, order.discount) == (
        "INDOOR20",
        D("120.00"),
        D("8.00"),
    )
    assert order.total == D("112.00") + order.shipping
    by_product = {line.product_id: line.discount for line in order.lines.all()}
    assert by_product == {inside: D("8.00"), outside: D("0.00")}
    # and at checkout, a cart of the outdoor camera alone is refused: nothing is discounted
    assert redeem("INDOOR20", [Item(key=inside, total=D("40.00"))]).shares == {inside: D("8.00")}
    only_outdoor = refusal(redeem, "INDOOR20", [Item(key=outside, total=D("80.00"))])
    assert only_outdoor.reason == Reason.NOT_APPLICABLE
    assert only_outdoor.message == "The code INDOOR20 does not apply to the products in your cart."
    code.refresh_from_db()
    assert code.times_used == 0  # unlimited: not counted at checkout


# --- refunds ----------------------------------------------------------------------------------


def test_no_units_or_a_line_of_no_units_gives_back_nothing() -> None:
    def back(quantity: int, returning: int, before: int = 0) -> Decimal:
        # a line of $100.00 with $10.01 of a code's discount: $89.99 paid
        return paid_for(
            line_total=D("100.00"),
            discount=D("10.01"),
            quantity=quantity,
            returning=returning,
            before=before,
        )

    # when no unit is returned, then nothing is given back
    assert back(quantity=3, returning=0) == D("0.00")
    assert back(quantity=3, returning=0, before=2) == D("0.00")
    # when a negative number of units is asked for, then nothing either, never a charge
    assert back(quantity=3, returning=-1) == D("0.00")
    # when the line has no units, then nothing is paid for any of them
    assert back(quantity=0, returning=1) == D("0.00")
    assert back(quantity=-1, returning=1) == D("0.00")
    # and one unit of three gives back its third of what was paid
    assert back(quantity=3, returning=1) == D("30.00")
