"""Cart pages. When the browser keeps cookies the cart lives in the strictly necessary cart
cookie and its pages have token-free addresses (/cart/, lookout.cart.holder); when it blocks
them, the cart's token travels in the URL path and in hidden form fields, so the cart works
with every cookie blocked (C7.4). The Referrer-Policy "same-origin" keeps the token from
leaving the site.

The POST views are exempt from Django's CSRF check, which needs a cookie: a forged request
cannot name a victim's cart without its unguessable token, so the token itself is what keeps
another site from changing a cart; the cart cookie is SameSite=Lax, so a form posted from
another site does not carry it either, and such a request never replaces it (holder.remember).
The worst a forged request can do is open a new, empty cart.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from lookout.cart import holder, services
from lookout.cart.forms import AddForm, QuantityForm, first_error
from lookout.catalog import photos
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError, NotFound


def _problem(request: HttpRequest, message: str, status: int, token: str = "") -> HttpResponse:
    return render(
        request, "cart/problem.html", {"message": message, "cart_token": token}, status=status
    )


def _page(request: HttpRequest, token: str, status: int = 200, error: str = "") -> HttpResponse:
    cart = services.get_cart(token=token)
    summary = services.summarize(cart=cart)
    context = {
        "summary": summary,
        # each line's photo (a variant's own first), one query: the drawing where there is none
        "line_photos": photos.first_photos(line.product for line in summary.lines),
        "cart_token": token,
        "error": error,
        "max_quantity": services.MAX_QUANTITY,
        # What a "buy again" put back and what it could not: signed by the store (no cookie).
        "notes": services.read_notes(str(request.GET.get("refilled", ""))[:4000]),
    }
    htmx = request.headers.get("HX-Request") == "true"
    template = "cart/_cart.html" if htmx else "cart/detail.html"
    response = render(request, template, context, status=status)
    if holder.holds(request, token):
        holder.remember(request, response, token)  # kept as long as the cart (CART_RETENTION)
    return response


def _to_cart(request: HttpRequest, token: str, query: str = "") -> HttpResponseRedirect:
    """The cart's page: /cart/ when the cookie holds this cart, else its token's address."""
    if holder.holds(request, token):
        path = reverse("cart:empty")
    else:
        path = reverse("cart:detail", args=[token])
    return redirect(path + ("?" + query if query else ""), permanent=False)


@require_safe
def empty(request: HttpRequest) -> HttpResponse:
    """/cart/: the cart the cookie holds, or the empty cart (also when the cookie's cart has
    expired, and the cookie is then dropped)."""
    token = holder.held_token(request)
    if token:
        try:
            return _page(request, token)
        except NotFound:
            pass
    response = render(request, "cart/empty.html")
    if token:
        holder.forget(response)
    return response


def _held(view: Callable[..., HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """The token-free address of a cart form: the cart the cookie holds."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        token = holder.held_token(request)
        if not token:
            return _problem(request, "We could not find that cart. It may have expired.", 404)
        return view(request, token=token)

    wrapper.__name__ = wrapper.__qualname__ = "held_" + view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


@csrf_exempt
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    form = AddForm(request.POST)
    if not form.is_valid():
        return _problem(request, first_error(form), 400, token=request.POST.get("cart", "")[:64])
    token = form.cleaned_data["cart"]
    try:
        cart = None
        if not token and holder.held_token(request):
            try:  # the cart the cookie holds; a new one when it has expired
                token = holder.held_token(request)
                cart = services.get_cart(token=token)
            except NotFound:
                token = ""
        if cart is None and token:
            cart = services.get_cart(token=token)
        elif cart is None:
            cart, token = services.open_cart()
        services.add_to_cart(
            cart=cart, sku=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
        )
    except LookoutError as error:
        known = token if services.is_well_formed(token) else ""
        return _problem(request, error.message, error.status_code, token=known)
    response = _to_cart(request, token)
    if holder.holds(request, token) or not form.cleaned_data["cart"]:
        # A new cart (or the cookie's had expired): keep it in the cookie; the token's page
        # sends the browser on to /cart/ if the cookie comes back (holder's module doc).
        holder.remember(request, response, token)
    return response


@require_safe
def detail(request: HttpRequest, token: str) -> HttpResponse:
    """The cart at its token's address (links, when cookies are blocked). When the browser
    holds this cart in its cookie, the address moves to /cart/: no token in the address bar."""
    if holder.holds(request, token):
        return _to_cart(request, token, request.META.get("QUERY_STRING", ""))
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
    return _to_cart(request, token)


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
    return _to_cart(request, token)


held_update = _held(update)
held_voucher = _held(voucher)
