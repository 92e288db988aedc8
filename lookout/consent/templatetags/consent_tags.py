"""The banner and the consented third-party scripts, for base.html on every page."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.http import HttpRequest

from lookout.consent import banner, selectors
from lookout.core.tokens import is_well_formed_cart_token as is_well_formed

register = template.Library()


def _back_to(request: HttpRequest) -> str:
    """Where the choice form returns to: this path, keeping only the cart token from the query
    (the view prefers the same-origin Referer, which keeps filters and search words too)."""
    token = request.GET.get("cart", "")
    return request.path + ("?" + urlencode({"cart": token}) if is_well_formed(token) else "")


@register.inclusion_tag("consent/_banner.html", takes_context=True)
def consent_banner(context: template.Context) -> dict:
    """The first-layer banner until the visitor chooses (shown again on every page when cookies
    are blocked, which breaks nothing). Not on the cookie page, which has the full form."""
    request = context.get("request")
    if request is None:
        return {"show": False}
    show = selectors.needs_banner(request) and not request.path.startswith("/cookies/")
    user = getattr(request, "user", None)
    return {
        "show": show,
        # The choice view does not need Django's CSRF token (it checks Origin instead, so that it
        # works with cookies blocked). Pages that set the CSRF cookie anyway (account pages, and
        # every page for a signed-in visitor, whose header has a sign-out form) carry it too, so
        # every POST form on them looks the same; shop pages never get a CSRF cookie from it.
        "with_csrf": request.path.startswith("/accounts/")
        or bool(user is not None and user.is_authenticated),
        "gpc": show and selectors.sends_gpc(request),
        "text": banner.TEXT,
        "next": _back_to(request),
    }


@register.inclusion_tag("consent/_scripts.html", takes_context=True)
def consent_scripts(context: template.Context) -> dict:
    """Third-party scripts the visitor opted in to; nothing at all before consent (C7.5)."""
    request = context.get("request")
    return {
        "scripts": selectors.scripts_for(request) if request is not None else [],
        "csp_nonce": context.get("csp_nonce"),
    }
