"""Cart pages. The cart's token travels in the URL path and in hidden form fields, never in a
cookie, so the cart works with every cookie blocked (C7.4). The Referrer-Policy "same-origin"
keeps the token from leaving the site.

The POST views are exempt from Django's CSRF check, which needs a cookie: a forged request
cannot name a victim's cart without its unguessable token, so the token itself is what keeps
another site from changing a cart. The worst a forged request can do is open a new, empty cart.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from lookout.cart import services
from lookout.cart.forms import AddForm, QuantityForm, first_error
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError


def _problem(request: HttpRequest, message: str, status: int, token: str = "") -> HttpResponse:
    return render(
        request, "cart/problem.html", {"message": message, "cart_token": token}, status=status
    )


def _page(request: HttpRequest, token: str, status: int = 200, error: str = "") -> HttpResponse:
    cart = services.get_cart(token=token)
    context = {
        "summary": services.summarize(cart=cart),
        "cart_token": token,
        "error": error,
        "max_quantity": services.MAX_QUANTITY,
        # What a "buy again" put back and what it could not: signed by the store (no cookie).
        "notes": services.read_notes(str(request.GET.get("refilled", ""))[:4000]),
    }
    htmx = request.headers.get("HX-Request") == "true"
    template = "cart/_cart.html" if htmx else "cart/detail.html"
    return render(request, template, context, status=status)


@require_safe
def empty(request: HttpRequest) -> HttpResponse:
    return render(request, "cart/empty.html")


@csrf_exempt
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    form = AddForm(request.POST)
    if not form.is_valid():
        return _problem(request, first_error(form), 400, token=request.POST.get("cart", "")[:64])
    token = form.cleaned_data["cart"]
    try:
        if token:
            cart = services.get_cart(token=token)
        else:
            cart, token = services.open_cart()
        services.add_to_cart(
            cart=cart, sku=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
        )
    except LookoutError as error:
        known = token if services.is_well_formed(token) else ""
        return _problem(request, error.message, error.status_code, token=known)
    return redirect("cart:detail", token=token, permanent=False)


@require_safe
def detail(request: HttpRequest, token: str) -> HttpResponse:
    try:
        return _page(request, token)
    except LookoutError as error:
        return _problem(request, error.message, error.status_code)


@csrf_exempt
@require_POST
def update(request: HttpRequest, token: str) -> HttpResponse:
    form = QuantityForm(request.POST)
    try:
        cart = services.get_cart(token=token)
        if not form.is_valid():
            return _page(request, token, status=400, error=first_error(form))
        services.set_quantity(
            cart=cart, sku=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
        )
    except LookoutError as error:
        if error.status_code == 404 and not services.is_well_formed(token):
            return _problem(request, error.message, 404)
        try:
            return _page(request, token, status=error.status_code, error=error.message)
        except LookoutError:
            return _problem(request, error.message, error.status_code)
    if request.headers.get("HX-Request") == "true":
        return _page(request, token)
    return redirect("cart:detail", token=token)


@csrf_exempt
@require_POST
def voucher(request: HttpRequest, token: str) -> HttpResponse:
    """Apply the discount code typed on the cart page, or remove it ("remove" in the form).
    A refusal shows the cart again with the reason (404 unknown, 409 does not apply, 429 too
    many unknown codes from this network)."""
    try:
        cart = services.get_cart(token=token)
    except LookoutError as error:
        return _problem(request, error.message, error.status_code)
    try:
        if request.POST.get("remove"):
            services.remove_voucher(cart=cart)
        else:
            code = str(request.POST.get("code", ""))[:64]
            services.apply_voucher(cart=cart, code=code, ip=client_ip(request))
    except LookoutError as error:
        response = _page(request, token, status=error.status_code, error=error.message)
        if getattr(error, "retry_after", None):
            response["Retry-After"] = str(error.retry_after)  # type: ignore[attr-defined]
        return response
    if request.headers.get("HX-Request") == "true":
        return _page(request, token)
    return redirect("cart:detail", token=token)
