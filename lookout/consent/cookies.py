"""The cookie inventory: every cookie the site can set, in code (C7.1, C7.2).

The cookie page renders this list, and the browser test compares what Chromium actually stored
against it, so a cookie added anywhere without an entry here fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models

from lookout.core.tokens import CART_COOKIE


class Category(models.TextChoices):
    STRICTLY_NECESSARY = "strictly_necessary", "Strictly necessary"
    ANALYTICS = "analytics", "Analytics"
    MARKETING = "marketing", "Marketing (third party)"


OPTIONAL_CATEGORIES = (Category.ANALYTICS, Category.MARKETING)

CONSENT_COOKIE = "lookout_consent"
VISITOR_COOKIE = "lookout_vid"
COOKIE_CHECK = "lookout_cookie_check"  # lookout/static/lookout/cookies.js
COOKIE_CHECK_LIFETIME = timedelta(seconds=5)  # removed at once; max-age 5 if the removal is lost
CONSENT_LIFETIME = timedelta(days=180)  # ask again after six months (CNIL guidance)
VISITOR_LIFETIME = timedelta(days=390)  # thirteen months at most for audience measurement


@dataclass(frozen=True)
class CookieSpec:
    name: str
    category: Category
    lifetime: timedelta | None  # None: a session cookie, no expiry, gone when the browser closes
    purpose: str
    set_when: str

    @property
    def lifetime_text(self) -> str:
        if self.lifetime is None:
            return "Session (deleted when you close the browser)"
        if self.lifetime < timedelta(days=1):
            return f"{int(self.lifetime.total_seconds())} seconds at most"
        return f"{self.lifetime.days} days"


def inventory() -> list[CookieSpec]:
    """Every first-party cookie, with the names the settings actually use."""
    return [
        CookieSpec(
            settings.SESSION_COOKIE_NAME,
            Category.STRICTLY_NECESSARY,
            None,
            "Keeps you signed in to your account.",
            "Only when you sign in, sign up or use an account page. Shopping never needs it.",
        ),
        CookieSpec(
            settings.CSRF_COOKIE_NAME,
            Category.STRICTLY_NECESSARY,
            None,
            "Protects account forms against requests forged by other sites.",
            "Only on pages with an account form (sign in, sign up, account centre).",
        ),
        CookieSpec(
            "messages",
            Category.STRICTLY_NECESSARY,
            None,
            "Carries a one-time notice (such as 'You are signed out') to the next page.",
            "After an account action; deleted as soon as the notice is shown.",
        ),
        CookieSpec(
            CONSENT_COOKIE,
            Category.STRICTLY_NECESSARY,
            CONSENT_LIFETIME,
            "Remembers your cookie choice and the id of your consent receipt, signed by the store.",
            "When you make a choice in the cookie banner or on this page.",
        ),
        CookieSpec(
            COOKIE_CHECK,
            Category.STRICTLY_NECESSARY,
            COOKIE_CHECK_LIFETIME,
            "Tells the page whether your browser keeps cookies at all, so that the cookie banner "
            "does not ask again on every page when it cannot remember your choice. It holds "
            "only '1'.",
            "Written and removed at once by the page's own script (lookout/cookies.js).",
        ),
        CookieSpec(
            CART_COOKIE,
            Category.STRICTLY_NECESSARY,
            None,  # a session cookie: the policy (section 6) lets only consent and analytics last
            "Keeps your cart, so that it is still there in a new tab or when you type the shop's "
            "address again, and "
            "so that the shop's addresses carry no cart number anyone could copy. It holds only "
            "a random number that opens the cart; it is never linked to an account or order. "
            "When your browser blocks cookies, the cart rides in the shop's links instead.",
            "When you put something in your cart; it ends when you close your browser.",
        ),
        CookieSpec(
            VISITOR_COOKIE,
            Category.ANALYTICS,
            VISITOR_LIFETIME,
            "A random number that links your visits in our own anonymous statistics. It is "
            "never linked to an account, an order or another site.",
            "Only after you accept analytics cookies; removed when you withdraw.",
        ),
    ]


def by_name() -> dict[str, CookieSpec]:
    return {spec.name: spec for spec in inventory()}
