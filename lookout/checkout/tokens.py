"""The per-checkout form token: the CSRF protection of a checkout that works without cookies.

Django's CSRF check needs a cookie, and checkout must work with cookies blocked (C7.4). The
checkout views are therefore exempt from it and check this token instead: it is signed with
the site's secret (django.core.signing), bound to the cart (a hash of its URL token) and to the
signed-in user if any, expires, and carries the submit's idempotency key. A page on another
site can neither read the victim's cart token nor forge a token for it, so it cannot submit a
checkout in the victim's name; a replayed submit reuses the key and places no second order.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing

from lookout.core.errors import LookoutError

SALT = "lookout.checkout.form"
MAX_AGE = 2 * 60 * 60


class ExpiredForm(LookoutError):
    status_code = 403


def _cart_ref(cart_token: str) -> str:
    return hashlib.sha256(cart_token.encode()).hexdigest()[:32]


def new_form_token(*, cart_token: str, user_id: str = "") -> str:
    payload = {"c": _cart_ref(cart_token), "u": user_id, "k": secrets.token_urlsafe(24)}
    return signing.dumps(payload, salt=SALT, compress=False)


def idempotency_key(*, form_token: str, cart_token: str, user_id: str = "") -> str:
    """The key of this submit, if the token is genuine, fresh and for this cart and user."""
    try:
        payload = signing.loads(form_token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature as exc:
        raise ExpiredForm(
            "This checkout form has expired or was not issued for this cart. "
            "Please go back to your cart and start the checkout again."
        ) from exc
    if (
        not isinstance(payload, dict)
        or payload.get("c") != _cart_ref(cart_token)
        or payload.get("u") != user_id
    ):
        raise ExpiredForm(
            "This checkout form was not issued for this cart. Please start the checkout again."
        )
    return "co-" + str(payload["k"])
