"""Template helpers that carry the cart token from page to page in the URL (never a cookie)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import template

from lookout.cart.services import is_well_formed
from lookout.core.money import format_usd

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_token(context: template.Context) -> str:
    """The token of the visitor's cart if this page knows it: from the view, the path or ?cart=."""
    token = context.get("cart_token") or ""
    request = context.get("request")
    if not token and request is not None:
        match = getattr(request, "resolver_match", None)
        token = (match.kwargs.get("token", "") if match else "") or request.GET.get("cart", "")
    return token if is_well_formed(token) else ""


@register.simple_tag(takes_context=True)
def keep_cart(context: template.Context, url: str, **params: object) -> str:
    """`url` with the cart token (and any extra params) as query string."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    token = cart_token(context)
    if token:
        query["cart"] = token
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


@register.filter
def usd(amount: Decimal) -> str:
    return format_usd(amount)
