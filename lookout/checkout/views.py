"""Checkout pages: the delivery form, placing the order, and the return from the payment page.

Works with every cookie blocked (C7.4): as in the cart, the cart lives in its cookie when the
browser keeps one (token-free addresses, /checkout/; lookout.cart.holder), else its token
travels in the URL. The POST view is exempt from Django's cookie-based CSRF check and checks
instead a signed, expiring form token bound to this cart and user (see lookout.checkout.tokens
for why that protects the same way). The return view changes an order only on a reference
signed by the payment processor, and is reached through a signed guest-access token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_countries import countries

from lookout.cart import holder
from lookout.cart import services as carts
from lookout.checkout import services
from lookout.checkout.forms import DeliveryForm
from lookout.checkout.tokens import idempotency_key, new_form_token
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError, NotFound
from lookout.orders import guest
from lookout.orders.models import Order, Status
from lookout.orders.payment import (
    PreparedPayment,
    begin_payment,
    finish_payment,
    place_and_prepare,
)
from lookout.orders.services import DeliveryDetails
from lookout.orders.tasks import email_guest_link
from lookout.shipping.countries import estimate, ships_to


def _problem(request: HttpRequest, message: str, status: int, token: str = "") -> HttpResponse:
    return render(
        request, "checkout/problem.html", {"message": message, "cart_token": token}, status=status
    )


def _start(request: HttpRequest, token: str) -> str:
    """The checkout's address for this cart: /checkout/ when the cookie holds it."""
    if holder.holds(request, token):
        return reverse(holder.HELD_ROUTES["checkout:start"])
    return reverse("checkout:start", args=[token])


def _user_id(request: HttpRequest) -> str:
    return str(request.user.pk) if request.user.is_authenticated else ""


def _page(
    request: HttpRequest,
    *,
    token: str,
    form: DeliveryForm,
    form_token: str,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    cart = carts.get_cart(token=token)
    saved = (
        services.saved_addresses(user=request.user)  # type: ignore[arg-type]
        if request.user.is_authenticated and not request.user.role  # type: ignore[union-attr]
        else []
    )
    context = {
        "cart_token": token,
        "summary": carts.summarize(cart=cart),
        "form": form,
        "form_token": form_token,
        "country": form.destination,
        "country_name": countries.name(form.destination),
        "countries": list(countries),
        "estimate": estimate(country=form.destination, start=timezone.localdate()),
        "saved": saved,
        "error": error,
    }
    return render(request, "checkout/checkout.html", context, status=status)


def _initial(request: HttpRequest, country: str) -> dict[str, str]:
    """Prefill from a saved address the customer picked (their own, read as themself)."""
    chosen = request.GET.get("use", "")
    if not chosen or not request.user.is_authenticated:
        return {}
    for choice in services.saved_addresses(user=request.user):  # type: ignore[arg-type]
        if str(choice.id) == chosen and choice.country == country:
            return {"name": choice.name, "phone": choice.phone, **choice.address}
    return {}


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request: HttpRequest, token: str) -> HttpResponse:
    by_token = bool(request.resolver_match and "token" in request.resolver_match.kwargs)
    if request.method != "POST" and by_token and holder.holds(request, token):
        # no token in the address bar when the browser's cookie holds the cart
        query = request.META.get("QUERY_STRING", "")
        return redirect(_start(request, token) + ("?" + query if query else ""))
    try:
        cart = carts.get_cart(token=token)
    except NotFound as error:
        return _problem(request, error.message, 404)
    if not cart.lines.exists():
        return _problem(request, "Your cart is empty.", 400, token=token)
    is_guest = not request.user.is_authenticated
    if request.method != "POST":
        country = request.GET.get("country", "US").upper()
        if not ships_to(country):
            country = "US"
        form = DeliveryForm(country=country, guest=is_guest, initial=_initial(request, country))
        form_token = new_form_token(cart_token=token, user_id=_user_id(request))
        return _page(request, token=token, form=form, form_token=form_token)
    country = str(request.POST.get("country", "")).upper()
    if not ships_to(country):
        return _problem(request, "Choose a country we ship to.", 400, token=token)
    form_token = str(request.POST.get("form_token", ""))
    try:
        key = idempotency_key(form_token=form_token, cart_token=token, user_id=_user_id(request))
    except LookoutError as error:
        return _problem(request, error.message, error.status_code, token=token)
    form = DeliveryForm(request.POST, country=country, guest=is_guest)
    if not form.is_valid():
        return _page(request, token=token, form=form, form_token=form_token, status=400)
    user = request.user if request.user.is_authenticated else None
    details = DeliveryDetails(
        name=form.cleaned_data["name"].strip(),
        address=form.address(),
        country=country,
        phone=form.cleaned_data.get("phone") or None,
        email=(form.cleaned_data.get("email") or "").strip() or None,
    )
    try:
        order, prepared = place_and_prepare(
            cart=cart,
            delivery=details,
            idempotency_key=key,
            user=user,  # type: ignore[arg-type]
            client=client_ip(request),
        )
    except LookoutError as error:
        return _page(
            request,
            token=token,
            form=form,
            form_token=form_token,
            status=error.status_code,
            error=error.message,
        )
    if user is not None and form.cleaned_data.get("save_address"):
        services.save_address(
            user=user,  # type: ignore[arg-type]
            name=details.name,
            address=details.address,
            country=country,
            phone=details.phone,
        )
    return _to_payment(request, order, token, prepared)


@csrf_exempt
@require_POST
def voucher(request: HttpRequest, token: str) -> HttpResponse:
    """Apply or remove the discount code from the checkout page (the same as on the cart page,
    lookout.cart.services.apply_voucher), then show the checkout again with the new total. A
    refusal shows the checkout with the reason (404, 409, or 429 with Retry-After)."""
    try:
        cart = carts.get_cart(token=token)
    except NotFound as error:
        return _problem(request, error.message, 404)
    country = str(request.POST.get("country", "US")).upper()
    if not ships_to(country):
        country = "US"
    try:
        if request.POST.get("remove"):
            carts.remove_voucher(cart=cart)
        else:
            code = str(request.POST.get("code", ""))[:64]
            carts.apply_voucher(cart=cart, code=code, ip=client_ip(request))
    except LookoutError as error:
        response = _page(
            request,
            token=token,
            form=DeliveryForm(country=country, guest=not request.user.is_authenticated),
            form_token=new_form_token(cart_token=token, user_id=_user_id(request)),
            status=error.status_code,
            error=error.message,
        )
        if getattr(error, "retry_after", None):
            response["Retry-After"] = str(error.retry_after)  # type: ignore[attr-defined]
        return response
    return redirect(_start(request, token) + "?" + urlencode({"country": country}))


def _to_payment(
    request: HttpRequest, order: Order, cart_token: str, prepared: PreparedPayment | None = None
) -> HttpResponse:
    if order.status == Status.PAID:
        return redirect(_return_path(order))
    # The cart comes back with the buyer in its cookie when it holds it; else in the address.
    kept = "" if holder.holds(request, cart_token) else cart_token
    return_url = request.build_absolute_uri(_return_path(order, cart_token=kept))
    try:
        pay_url = begin_payment(order=order, return_url=return_url, prepared=prepared)
    except LookoutError as error:
        return _problem(
            request,
            f"{error.message} Your order {order.number} is kept for you; submit the checkout "
            "again to retry the payment.",
            error.status_code if error.status_code >= 400 else 503,
        )
    return redirect(pay_url, permanent=False)


def _return_path(order: Order, cart_token: str = "") -> str:
    """The page the processor sends the buyer back to; `cart` keeps the cart reachable (the
    site header links it) for a retry after a declined card."""
    params = {"access": guest.return_token(order=order)}
    if cart_token:
        params["cart"] = cart_token
    query = urlencode(params)
    return reverse("checkout:return", args=[order.id]) + "?" + query


@require_safe
def payment_return(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """Back from the payment page with the processor's signed reference in `ref`."""
    try:
        order = guest.order_for_return_token(token=request.GET.get("access", ""))
    except NotFound as error:
        return _problem(request, error.message, 404)
    if order.id != order_id:
        return _problem(request, guest.NOT_FOUND, 404)
    was_placed = order.status == Status.PLACED
    if order.status in (Status.PLACED, Status.PAYMENT_FAILED, Status.EXPIRED):
        try:
            order, failure = finish_payment(
                order=order, signed_reference=request.GET.get("ref", "")
            )
        except LookoutError as error:
            return _problem(request, error.message, error.status_code)
    else:
        failure = ""
    if was_placed and order.status == Status.PAID:
        # The order is committed (no request-wide transaction): safe to email the link now,
        # from the worker, so that a mail server that is down never fails this page.
        email_guest_link.enqueue(str(order.id), request.build_absolute_uri("/"))
    context = {
        "order": order,
        # The number is the second factor of the guest's link: the return address alone must
        # not give it away (it is in the email, with the link). A signed-in owner sees it.
        "show_number": request.user.is_authenticated and order.user_id == request.user.pk,
        "lines": order.lines.all(),
        "failure": failure,
        "estimate": estimate(
            country=order.delivery.country,
            start=timezone.localdate(order.paid_at) if order.paid_at else timezone.localdate(),
        ),
    }
    return render(
        request,
        "checkout/done.html",
        context,
        status=402 if order.status in (Status.PAYMENT_FAILED, Status.EXPIRED) else 200,
    )


def _held(view: Callable[..., HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """The token-free address of a checkout page: the cart the browser's cookie holds."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        token = holder.held_token(request)
        if not token:
            return _problem(request, "We could not find that cart. It may have expired.", 404)
        return view(request, token=token)

    wrapper.__name__ = wrapper.__qualname__ = "held_" + view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


held_checkout = _held(checkout)
held_voucher = _held(voucher)
