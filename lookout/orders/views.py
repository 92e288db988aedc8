"""Order pages: the buyer's own orders, the guest's signed link, and the warehouse queue.

Personal fields are shown only as `reveal` returns them: the buyer as themself (self-service),
a verified guest through the system (account notice), the warehouse for fulfilment (C3.2).
The guest page's POST is exempt from the cookie CSRF check: it changes nothing, and the signed
link it needs is the secret a forged request would lack. Cancelling (a change) asks for a
confirmation first: the signed-in buyer's form carries Django's CSRF token; the guest's, which
must work without cookies, carries a signed token bound to the order (orders.cancel_form), on
top of the link and the order number.
"""

from __future__ import annotations

import uuid
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.cart import holder
from lookout.cart.services import sign_notes
from lookout.core.errors import LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders import cancel_form, cancellation, guest, reorder, selectors, services
from lookout.orders.fulfilment import ship_order

OWN_FIELDS = ["name", "address", "phone"]


def _order_context(order: Any, delivery: dict[str, Any]) -> dict[str, Any]:
    return {
        "order": order,
        "lines": order.lines.all(),
        "events": order.events.all(),
        "delivery": delivery,
        "shipment": getattr(order, "shipment", None) if hasattr(order, "shipment") else None,
        # Before picking starts the buyer may still cancel, or ask to correct the address.
        "may_cancel": order.status in cancellation.CUSTOMER_MAY_CANCEL,
        # An order that did not go through: its items can go back into a cart in one step.
        "may_buy_again": order.status in reorder.MAY_BUY_AGAIN,
    }


@login_required
@require_safe
def my_orders(request: HttpRequest) -> HttpResponse:
    orders = selectors.orders_of(user=request.user)  # type: ignore[arg-type]
    return render(request, "orders/list.html", {"orders": orders})


@login_required
@require_safe
def my_order(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_of(user=request.user, number=number)  # type: ignore[arg-type]
    if order is None:
        raise Http404("No such order.")
    return _own_page(request, order)


def _own_page(
    request: HttpRequest, order: Any, *, notice: str = "", status: int = 200
) -> HttpResponse:
    delivery = selectors.delivery_view(
        order=order,
        fields=OWN_FIELDS,
        purpose=Purpose.SELF_SERVICE,
        actor=request.user,  # type: ignore[arg-type]
    )
    context = _order_context(order, delivery) | {"notice": notice}
    return render(request, "orders/detail.html", context, status=status)


def _guest_messages(order: Any) -> list[dict[str, Any]]:
    """The guest's inbox messages, read by the store for the verified guest."""
    rows = []
    for message in Message.objects.filter(subject=order.subject)[:50]:
        try:
            words = reveal(message, ["title", "body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)
        except AccessDenied:
            return []  # the matrix does not (yet) grant this read: show the timeline only
        rows.append({"message": message, **words})
    return rows


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def guest_order(request: HttpRequest, token: str) -> HttpResponse:
    """Signed link + order number: the guest's own order and messages, no account needed."""
    try:
        guest.order_for_token(token=token)
    except NotFound as error:
        return render(request, "orders/guest.html", {"error": error.message}, status=404)
    if request.method != "POST":
        return render(request, "orders/guest.html", {"token": token})
    try:
        order = guest.open_order(token=token, number=str(request.POST.get("number", ""))[:20])
    except NotFound as error:
        return render(
            request, "orders/guest.html", {"token": token, "error": error.message}, status=404
        )
    return _guest_page(request, token, order)


def _guest_page(
    request: HttpRequest, token: str, order: Any, *, notice: str = "", status: int = 200
) -> HttpResponse:
    delivery = selectors.delivery_view(
        order=order, fields=OWN_FIELDS, purpose=Purpose.ACCOUNT_NOTICE, actor=None
    )
    context = _order_context(order, delivery) | {
        "inbox": _guest_messages(order),
        "guest": True,
        "guest_token": token,
        "notice": notice,
    }
    return render(request, "orders/detail.html", context, status=status)


# --- cancelling before picking starts ---------------------------------------------------------


def _cancel_page(
    request: HttpRequest, order: Any, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The confirmation page (or, with `error`, the refusal: nothing was changed)."""
    context = {
        "order": order,
        "lines": order.lines.all(),
        "may_cancel": order.status in cancellation.CUSTOMER_MAY_CANCEL,
        **extra,
    }
    if status == 200 and not context["may_cancel"]:
        status = cancellation.CannotCancel.status_code
        context["error"] = cancellation.refusal_for(order.status)
    return render(request, "orders/cancel.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    """The signed-in buyer cancels their own order: GET asks to confirm, POST (with the CSRF
    token) cancels. Another person's order is the same 404 as a missing one."""
    order = selectors.order_of(user=request.user, number=number)  # type: ignore[arg-type]
    if order is None:
        raise Http404("No such order.")
    if request.method != "POST":
        return _cancel_page(request, order)
    try:
        cancellation.cancel_by_customer(order=order, actor=request.user)  # type: ignore[arg-type]
    except LookoutError as error:
        order.refresh_from_db()
        return _cancel_page(request, order, status=error.status_code, error=error.message)
    messages.success(request, f"Order {order.number} is cancelled.")
    return redirect("orders:detail", number=order.number)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def guest_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """A guest cancels with the signed link and the order number, in two steps: the first POST
    shows the confirmation (carrying a signed token for this order), the second cancels.
    Exempt from the cookie CSRF check, as the guest may have no cookies: the link, the number
    and the confirmation token are what a forged request would lack (orders.cancel_form).
    A GET (the link alone) asks for the order number first, like the guest order page."""
    if request.method != "POST":
        return guest_order(request, token)
    try:
        order = guest.open_order(token=token, number=str(request.POST.get("number", ""))[:20])
    except NotFound as error:
        return render(
            request, "orders/guest.html", {"token": token, "error": error.message}, status=404
        )
    extra: dict[str, Any] = {"guest": True, "guest_token": token}
    confirmation = str(request.POST.get("confirm", ""))[:500]
    if not confirmation:
        return _cancel_page(request, order, confirm=cancel_form.new_token(order=order), **extra)
    try:
        cancel_form.check_token(token=confirmation, order=order)
        cancellation.cancel_by_customer(order=order, actor=None)
    except LookoutError as error:
        order.refresh_from_db()
        return _cancel_page(request, order, status=error.status_code, error=error.message, **extra)
    order.refresh_from_db()
    return _guest_page(request, token, order, notice=f"Order {order.number} is cancelled.")


# --- buying an order again -------------------------------------------------------------------


def _cart_of(request: HttpRequest) -> str:
    """The cart to refill: the one named in the form (links), else the one the cookie holds."""
    return str(request.POST.get("cart", ""))[:64] or holder.held_token(request)


def _to_cart(request: HttpRequest, cart_token: str, notes: list[str]) -> HttpResponse:
    """To the refilled cart, with what was (not) put back in its address, signed. A cart named
    by no link (the cookie's, or a new one) is kept in the cart cookie (lookout.cart.holder)."""
    held = holder.holds(request, cart_token)
    path = reverse("cart:empty") if held else reverse("cart:detail", args=[cart_token])
    response = redirect(path + "?" + urlencode({"refilled": sign_notes(notes)}), permanent=False)
    if held or not request.POST.get("cart"):
        holder.remember(request, response, cart_token)
    return response


@login_required
@require_POST
def buy_again(request: HttpRequest, number: str) -> HttpResponse:
    """The signed-in buyer puts an expired, cancelled or failed order's items back in their
    cart (the one named in the form, else a new one). CSRF-checked like every signed-in form."""
    order = selectors.order_of(user=request.user, number=number)  # type: ignore[arg-type]
    if order is None:
        raise Http404("No such order.")
    try:
        cart_token, notes = reorder.buy_again(order=order, cart_token=_cart_of(request))
    except LookoutError as error:
        return _own_page(request, order, notice=error.message, status=error.status_code)
    return _to_cart(request, cart_token, notes)


@csrf_exempt
@require_POST
def guest_buy_again(request: HttpRequest, token: str) -> HttpResponse:
    """A guest puts the items of their order back in a cart: the signed link and the order
    number, as for seeing the order, are what a forged request would lack (no cookie needed)."""
    try:
        order = guest.open_order(token=token, number=str(request.POST.get("number", ""))[:20])
    except NotFound as error:
        return render(
            request, "orders/guest.html", {"token": token, "error": error.message}, status=404
        )
    try:
        cart_token, notes = reorder.buy_again(order=order, cart_token=_cart_of(request))
    except LookoutError as error:
        return _guest_page(request, token, order, notice=error.message, status=error.status_code)
    return _to_cart(request, cart_token, notes)


# --- warehouse --------------------------------------------------------------------------------


def warehouse_only(view: Any) -> Any:
    """Warehouse staff only (the accounts middleware has already required the second factor);
    everyone else gets the same 404 as for a page that does not exist."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "role", "") != Role.WAREHOUSE:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


@warehouse_only
@require_safe
def warehouse(request: HttpRequest) -> HttpResponse:
    orders = list(selectors.warehouse_queue())
    return render(
        request,
        "orders/warehouse.html",
        {"orders": orders, "late": sum(1 for o in orders if o.is_late())},
    )


def _warehouse_order(order_id: uuid.UUID) -> Any:
    order = selectors.warehouse_order(order_id=order_id)
    if order is None:
        raise Http404("No such order in the queue.")
    return order


@warehouse_only
@require_safe
def packing_slip(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    order = _warehouse_order(order_id)
    delivery = selectors.delivery_view(
        order=order,
        fields=selectors.WAREHOUSE_FIELDS,
        purpose=Purpose.FULFILMENT,
        actor=request.user,  # type: ignore[arg-type]
    )
    return render(request, "orders/slip.html", {"order": order, "delivery": delivery})


@warehouse_only
@require_POST
def start_processing(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    order = _warehouse_order(order_id)
    try:
        services.start_processing(order=order, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, f"Order {order.number} is being prepared.")
    except LookoutError as error:
        messages.error(request, error.message)
    return redirect("orders:warehouse")


@warehouse_only
@require_POST
def ship(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    order = _warehouse_order(order_id)
    try:
        shipment = ship_order(order=order, actor=request.user)  # type: ignore[arg-type]
    except LookoutError as error:
        messages.error(request, f"Order {order.number} was not shipped: {error.message}")
        return redirect("orders:warehouse")
    messages.success(
        request, f"Order {order.number} shipped; tracking number {shipment.tracking_number}."
    )
    return redirect("orders:warehouse")
