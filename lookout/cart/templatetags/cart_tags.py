"""Template helpers that carry the cart token from page to page in the URL, only when the
browser does not keep the cart in its cookie (lookout.cart.holder)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from lookout.cart import holder
from lookout.cart.services import is_well_formed
from lookout.core.money import format_usd

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_token(context: template.Context) -> str:
    """The token links must carry: the visitor's cart if this page knows it (from the view, the
    path or ?cart=), and "" when the browser's cookie holds it (links then carry none)."""
    token = context.get("cart_token") or ""
    request = context.get("request")
    if not token and request is not None:
        match = getattr(request, "resolver_match", None)
        token = (match.kwargs.get("token", "") if match else "") or request.GET.get("cart", "")
    if (
        request is not None
        and holder.held_token(request)
        and token in ("", holder.held_token(request))
    ):
        return ""
    return token if is_well_formed(token) else ""


@register.simple_tag(takes_context=True)
def cart_in_cookie(context: template.Context) -> bool:
    """The browser keeps a cart in its cookie: /cart/ shows it."""
    request = context.get("request")
    return request is not None and bool(holder.held_token(request))


@register.simple_tag(takes_context=True)
def cart_url(context: template.Context, name: str, token: str) -> str:
    """The address of a cart or checkout page (`name`, e.g. "cart:update") for this cart: the
    token-free one when the browser's cookie holds the cart, else the one with its token."""
    request = context.get("request")
    if request is not None and holder.holds(request, token):
        return reverse(holder.HELD_ROUTES[name])
    return reverse(name, args=[token])


@register.simple_tag(takes_context=True)
def keep_cart(context: template.Context, url: str, **params: object) -> str:
    """`url` with the cart token (and any extra params) as query string."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    token = cart_token(context)
    if token:
        query["cart"] = token
    if not query:
        return url
    joiner = "&" if "?" in url else "?"  # a variant's address already asks for its variant
    return f"{url}{joiner}{urlencode(query, doseq=True)}"


@register.filter
def usd(amount: Decimal) -> str:
    return format_usd(amount)
