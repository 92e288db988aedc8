"""The confirmation token of a guest's cancellation: the CSRF protection of a form that works
without cookies, as checkout's form token (lookout.checkout.tokens) is for checkout.

A guest's order pages set no cookie (a guest may have them blocked), so Django's cookie CSRF
check cannot run there. The guest's cancel POST needs the signed link and the order number
(secrets a forged cross-site request lacks) and, for the second step, this token: signed with
the site's secret, bound to the one order, and valid for 30 minutes, so the cancellation
happens only from the confirmation page the store showed for that order a moment before.
"""

from __future__ import annotations

import secrets

from django.core import signing

from lookout.core.errors import Forbidden
from lookout.orders.models import Order

SALT = "lookout.orders.cancel-form"
MAX_AGE = 30 * 60


class ExpiredConfirmation(Forbidden):
    """The confirmation is missing, forged, for another order or too old (403)."""


def new_token(*, order: Order) -> str:
    return signing.dumps(
        {"o": str(order.id), "n": secrets.token_urlsafe(8)}, salt=SALT, compress=False
    )


def check_token(*, token: str, order: Order) -> None:
    try:
        payload = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature as exc:
        raise ExpiredConfirmation(
            "This confirmation has expired. Nothing was cancelled; please open your order "
            "again and confirm once more."
        ) from exc
    if not isinstance(payload, dict) or payload.get("o") != str(order.id):
        raise ExpiredConfirmation(
            "This confirmation was not issued for this order. Nothing was cancelled."
        )
