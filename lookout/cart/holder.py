"""Where the visitor's cart lives: in the strictly necessary cart cookie when the browser keeps
cookies, in the links (the token in the path or `?cart=`) only when it blocks them (C7.4).

The cookie is HttpOnly, SameSite=Lax (a form posted from another site does not carry it, so
the cart's CSRF-exempt forms stay safe: another site still cannot name the cart) and Secure
wherever the session cookie is. It is a session cookie (gone when the browser closes): the privacy
policy (section 6) promises that only the cookie choice and, with consent, analytics last longer.

A page knows the cart is in the cookie when the request carries the cookie; then its links
and forms use the token-free addresses (/cart/, /checkout/), so an address copied from the
address bar hands nobody the cart. The first add cannot know yet: it sets the cookie and sends
the browser to the token's address, which, if the cookie came back, sends it on to /cart/.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lookout.core.tokens import CART_COOKIE, is_well_formed_cart_token

# The token-free address of each page that has one with the token in its path.
HELD_ROUTES = {
    "cart:detail": "cart:empty",
    "cart:update": "cart:held_update",
    "cart:voucher": "cart:held_voucher",
    "checkout:start": "checkout:held",
    "checkout:voucher": "checkout:held_voucher",
}


def held_token(request: HttpRequest) -> str:
    """The token of the cart the browser's cookie holds, or "" (none, or not well formed)."""
    token = request.COOKIES.get(CART_COOKIE, "")
    return token if is_well_formed_cart_token(token) else ""


def holds(request: HttpRequest, token: str) -> bool:
    """The browser keeps this cart in its cookie: pages about it need no token in links."""
    return bool(token) and held_token(request) == token


def remember(request: HttpRequest, response: HttpResponse, token: str) -> None:
    """Put the cart in the (session) cookie, unless the request came from
    another site: a forged cross-site form must not swap the visitor's cart for another."""
    if request.headers.get("Sec-Fetch-Site", "") == "cross-site":
        return
    response.set_cookie(
        CART_COOKIE,
        token,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def forget(response: HttpResponse) -> None:
    """The cookie named a cart that is gone (purged after CART_RETENTION): drop it."""
    response.delete_cookie(CART_COOKIE, path="/", samesite="Lax")
