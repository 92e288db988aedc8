"""Cart API: the cart token in the path is the only credential (no cookie, no account).

Bad input answers 4xx with a `detail` sentence: 404 unknown cart or product, 409 not enough
stock, 422 a quantity outside 1 to the line limit (`catalog.models.MAX_PER_LINE`, 10 unless
`LOOKOUT_MAX_PER_LINE` says otherwise; 0 is allowed when setting and removes the line).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from lookout.cart import services
from lookout.cart.services import MAX_QUANTITY

router = Router(tags=["cart"])


class LineOut(Schema):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


class CartOut(Schema):
    token: str = Field(description="Keep it secret: whoever has it can change the cart")
    currency: Literal["USD"] = "USD"
    lines: list[LineOut]
    items: int
    subtotal: Decimal
    saving: Decimal
    shipping: Decimal = Field(description="Always 0.00: free worldwide shipping")
    total: Decimal


class AddIn(Schema):
    sku: str = Field(..., min_length=1, max_length=32)
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)


class QuantityIn(Schema):
    quantity: int = Field(..., ge=0, le=MAX_QUANTITY)


class Error(Schema):
    detail: str


def _out(token: str) -> CartOut:
    summary = services.summarize(cart=services.get_cart(token=token))
    return CartOut(
        token=token,
        lines=[
            LineOut(
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in summary.lines
        ],
        items=summary.items,
        subtotal=summary.subtotal,
        saving=summary.saving,
        shipping=summary.shipping,
        total=summary.total,
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
