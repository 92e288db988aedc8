"""The shape of a cart token, known below the apps that carry one.

A cart token rides in links when the browser keeps no cookie (C7.4). The catalog's page cache,
the consent banner's links and the cart itself all check that a token is well formed before
they use or repeat it; the check lives here so that none of them imports the cart app for it
(the catalog and consent apps sit beside cart, and the cart reads the catalog)."""

from __future__ import annotations

import re

CART_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def is_well_formed_cart_token(token: str) -> bool:
    return bool(CART_TOKEN.match(token or ""))


# The cart's cookie (strictly necessary, listed in lookout.consent.cookies): when the browser
# keeps it, the cart lives there and links carry no token; when it is blocked, links carry one.
CART_COOKIE = "lookout_cart"
