"""Checkout API: turn a cart into an order and get the payment page to send the buyer to.

`POST /api/v1/checkout/orders` with the cart token, the delivery details and an idempotency
key; answers 201 with the order number and the processor's hosted payment URL. The same
checks as the checkout page (the delivery form: each country's address rules, phone numbers),
the same `place_order` service (stock locks, sealed delivery details), the same payment start.

Why the idempotency key is bound to the cart: a client retrying after a timeout must get the
same order back, but a key guessed or reused with *another* cart must never return somebody
else's order; the stored key is a hash of (cart token, client key).

Bad input answers 4xx with a `detail` sentence (and `errors` per field): 404 unknown cart,
400 empty cart or invalid delivery, 404 unknown discount code, 409 sold out or a discount code
that does not apply (with its `reason`), 422 malformed body, 429 too many unpaid orders or
unknown discount codes from one network; 503 when the payment
service does not answer (the order is kept; the same request retries the payment).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from lookout.cart import services as carts
from lookout.checkout.forms import DeliveryForm
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError
from lookout.orders import guest
from lookout.orders.models import Order
from lookout.orders.models import Status as OrderStatus
from lookout.orders.payment import begin_payment, place_and_prepare
from lookout.orders.services import CheckoutError, DeliveryDetails
from lookout.shipping.countries import ships_to
from lookout.vouchers.services import VoucherRefused

router = Router(tags=["checkout"])


class DeliveryIn(Schema):
    country: str = Field(..., min_length=2, max_length=2, description="ISO 3166 code, e.g. US")
    name: str = Field(..., min_length=1, max_length=100)
    street_address: str = Field(..., min_length=1, max_length=200)
    city: str = Field("", max_length=100)
    city_area: str = Field("", max_length=100)
    country_area: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    phone: str = Field("", max_length=32)
    email: str = Field(..., min_length=3, max_length=254, description="For order updates")


class OrderIn(Schema):
    cart: str = Field(..., min_length=1, max_length=64, description="The cart token")
    idempotency_key: str = Field(
        ..., min_length=8, max_length=64, description="Same key, same cart: same order"
    )
    delivery: DeliveryIn
    voucher: str = Field(
        "",
        max_length=64,
        description="A discount code to apply first (as PUT /carts/{token}/voucher); empty: "
        "the code already on the cart, if any",
    )


class OrderOut(Schema):
    number: str
    status: str
    total: str
    subtotal: str = ""
    discount: str = Field("0.00", description="What the discount code took off")
    voucher_code: str = ""
    currency: str = "USD"
    payment_url: str = Field(description="Send the buyer here to pay (empty once paid)")


class Problem(Schema):
    detail: str
    errors: dict[str, list[str]] = {}
    reason: str = Field(default="", description="For a refused discount code: why (the cart API)")


class InvalidDelivery(CheckoutError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(
            "Please check the delivery details: "
            + "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        )
        self.errors = errors


def _details(delivery: DeliveryIn) -> DeliveryDetails:
    country = delivery.country.upper()
    if not ships_to(country):
        raise InvalidDelivery({"country": ["Choose a country we ship to."]})
    data = {**delivery.dict(), "country": country}
    form = DeliveryForm(data, country=country, guest=True)
    if not form.is_valid():
        raise InvalidDelivery({k: [str(m) for m in v] for k, v in form.errors.items()})
    return DeliveryDetails(
        name=form.cleaned_data["name"].strip(),
        address=form.address(),
        country=country,
        phone=form.cleaned_data.get("phone") or None,
        email=form.cleaned_data["email"].strip(),
    )


def _key(cart_token: str, client_key: str) -> str:
    return "api-" + hashlib.sha256(f"{cart_token}:{client_key}".encode()).hexdigest()[:48]


def _return_url(request: HttpRequest, order: Order) -> str:
    query = urlencode({"access": guest.return_token(order=order)})
    return request.build_absolute_uri(reverse("checkout:return", args=[order.id]) + "?" + query)


@router.post(
    "/orders",
    response={201: OrderOut, 400: Problem, 404: Problem, 409: Problem, 429: Problem, 503: Problem},
    summary="Place the order of a cart (guest checkout) and start its payment",
)
def create_order(request: HttpRequest, payload: OrderIn):
    cart = carts.get_cart(token=payload.cart)  # NotFound: 404, same for malformed and unknown
    try:
        details = _details(payload.delivery)
    except InvalidDelivery as error:
        return Status(400, Problem(detail=error.message, errors=error.errors))
    key = _key(payload.cart, payload.idempotency_key)
    try:
        if payload.voucher:
            carts.apply_voucher(cart=cart, code=payload.voucher, ip=client_ip(request))
        order, prepared = place_and_prepare(
            cart=cart, delivery=details, idempotency_key=key, user=None, client=client_ip(request)
        )
    except VoucherRefused as refused:
        return Status(refused.status_code, Problem(detail=refused.message, reason=refused.reason))
    payment_url = ""
    if order.status == OrderStatus.PLACED:
        try:
            payment_url = begin_payment(
                order=order, return_url=_return_url(request, order), prepared=prepared
            )
        except LookoutError as error:
            return Status(
                503,
                Problem(
                    detail=f"{error.message} Order {order.number} is kept; send the same "
                    "request again to retry the payment."
                ),
            )
    return Status(
        201,
        OrderOut(
            number=order.number,
            status=order.status,
            total=f"{order.total:.2f}",
            subtotal=f"{order.subtotal:.2f}",
            discount=f"{order.discount:.2f}",
            voucher_code=order.voucher_code,
            payment_url=payment_url,
        ),
    )
