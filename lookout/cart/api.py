"""Cart API: the cart token in the path is the only credential (no cookie, no account).

Bad input answers 4xx with a `detail` sentence: 404 unknown cart or product, 409 not enough
stock, 422 a quantity outside 1 to the line limit (`catalog.models.MAX_PER_LINE`, 10 unless
`LOOKOUT_MAX_PER_LINE` says otherwise; 0 is allowed when setting and removes the line).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status

from lookout.accounts.throttle import Throttled
from lookout.cart import services
from lookout.cart.services import MAX_QUANTITY
from lookout.catalog.api import OptionOut
from lookout.core.client_ip import client_ip
from lookout.vouchers import services as vouchers

router = Router(tags=["cart"])


class LineOut(Schema):
    sku: str
    name: str = Field(description="With a variant's options: 'Doorbell — Colour: Black'")
    options: list[OptionOut] = Field(
        default_factory=list, description="A variant's option values, in order"
    )
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    discount: Decimal = Field(Decimal("0.00"), description="This line's share of the code")


class CartOut(Schema):
    token: str = Field(description="Keep it secret: whoever has it can change the cart")
    currency: Literal["USD"] = "USD"
    lines: list[LineOut]
    items: int
    subtotal: Decimal
    saving: Decimal
    shipping: Decimal = Field(description="Always 0.00: free worldwide shipping")
    total: Decimal = Field(description="subtotal - discount + shipping")
    voucher_code: str = Field("", description="The discount code on the cart, if any")
    voucher: str = Field("", description='What the code gives, e.g. "10% off"')
    discount: Decimal = Field(Decimal("0.00"), description="What the code takes off")
    voucher_problem: str = Field("", description="Why the code on the cart does not apply now")


class AddIn(Schema):
    sku: str = Field(..., min_length=1, max_length=32)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)


class QuantityIn(Schema):
    quantity: int = Field(..., ge=0, le=MAX_QUANTITY)


class Error(Schema):
    detail: str


class VoucherIn(Schema):
    code: str = Field(..., min_length=1, max_length=64, description="Case and spaces ignored")


class VoucherError(Schema):
    detail: str
    reason: str = Field(
        "",
        description="invalid, unknown, inactive, not_yet_valid, expired, used_up, not_applicable, "
        "minimum_not_reached, empty_cart; empty for a 429 (too many unknown codes)",
    )


def _out(token: str) -> CartOut:
    summary = services.summarize(cart=services.get_cart(token=token))
    return CartOut(
        token=token,
        lines=[
            LineOut(
                sku=line.product.sku,
                name=line.product.name,
                options=[OptionOut(name=n, value=v) for n, v in line.product.options or []],
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
                discount=line.discount,
            )
            for line in summary.lines
        ],
        items=summary.items,
        subtotal=summary.subtotal,
        saving=summary.saving,
        shipping=summary.shipping,
        total=summary.total,
        voucher_code=summary.voucher_code,
        voucher=summary.voucher_label,
        discount=summary.discount,
        voucher_problem=summary.voucher_problem,
    )


@router.post("", response={201: CartOut}, summary="Open a new, empty cart")
def create_cart(request: HttpRequest):
    _, token = services.open_cart()
    return Status(201, _out(token))


@router.get("/{token}", response={200: CartOut, 404: Error}, summary="Read a cart")
def read_cart(request: HttpRequest, token: str):
    return Status(200, _out(token))


@router.post(
    "/{token}/items", response={200: CartOut, 404: Error, 409: Error}, summary="Add a product"
)
def add_item(request: HttpRequest, token: str, payload: AddIn):
    cart = services.get_cart(token=token)
    services.add_to_cart(cart=cart, sku=payload.sku, quantity=payload.quantity)
    return Status(200, _out(token))


@router.put(
    "/{token}/items/{sku}",
    response={200: CartOut, 404: Error, 409: Error},
    summary="Set a line's quantity (0 removes it)",
)
def set_item(request: HttpRequest, token: str, sku: str, payload: QuantityIn):
    cart = services.get_cart(token=token)
    services.set_quantity(cart=cart, sku=sku, quantity=payload.quantity)
    return Status(200, _out(token))


@router.delete("/{token}/items/{sku}", response={200: CartOut, 404: Error}, summary="Remove")
def remove_item(request: HttpRequest, token: str, sku: str):
    cart = services.get_cart(token=token)
    services.remove_from_cart(cart=cart, sku=sku)
    return Status(200, _out(token))


@router.put(
    "/{token}/voucher",
    response={
        200: CartOut,
        400: VoucherError,
        404: VoucherError,
        409: VoucherError,
        429: VoucherError,
    },
    summary="Apply a discount code (replaces the one on the cart)",
)
def apply_voucher(request: HttpRequest, token: str, payload: VoucherIn):
    """400 for what cannot be a code, 404 for an unknown code, 409 with the `reason` when it
    does not apply to this cart. Unknown codes are counted per client network; past the limit
    every code is refused with 429 and a Retry-After header until the window ends."""
    cart = services.get_cart(token=token)
    try:
        services.apply_voucher(cart=cart, code=payload.code, ip=client_ip(request))
    except Throttled as error:
        response = JsonResponse({"detail": error.message, "reason": ""}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    except vouchers.VoucherRefused as refused:
        return Status(
            refused.status_code, VoucherError(detail=refused.message, reason=refused.reason)
        )
    return Status(200, _out(token))


@router.delete(
    "/{token}/voucher", response={200: CartOut, 404: Error}, summary="Remove the discount code"
)
def remove_voucher(request: HttpRequest, token: str):
    services.remove_voucher(cart=services.get_cart(token=token))
    return Status(200, _out(token))
