"""The cookie page and the form that records a choice. Both work without JavaScript; the choice
form posts from the banner on every page and from the cookie page (C7.3).

The choice form is exempt from Django's CSRF check, because that check needs a cookie and a
visitor who blocks cookies must still be able to say no. Instead a request from another site is
refused by its Origin / Sec-Fetch-Site headers, so no other site can opt a visitor in.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from lookout.consent import banner, selectors, services
from lookout.consent.cookies import (
    CONSENT_COOKIE,
    CONSENT_LIFETIME,
    VISITOR_COOKIE,
    VISITOR_LIFETIME,
    inventory,
)
from lookout.consent.models import ConsentReceipt, ThirdPartyScript

_METHODS = {
    "accept": ConsentReceipt.Method.ACCEPT_ALL,
    "reject": ConsentReceipt.Method.REJECT_ALL,
    "save": ConsentReceipt.Method.CUSTOM,
    "gpc": ConsentReceipt.Method.REJECT_ALL,
}


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == f"{request.scheme}://{request.get_host()}"
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _next(request: HttpRequest) -> str:
    """Back to the page the choice was made on: the same-origin Referer (full path and query, so
    filters and the cart token survive), else the form's `next`, else the cookie page."""
    host = request.get_host()
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc == host and referer.path and referer.path != "/cookies/":
        return referer.path + (f"?{referer.query}" if referer.query else "")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return target
    return "/cookies/"


@require_safe
def cookie_page(request: HttpRequest) -> HttpResponse:
    choice = selectors.current_choice(request)
    receipt = (
        ConsentReceipt.objects.filter(pk=choice.receipt_id).first() if choice is not None else None
    )
    context = {
        "cookies": inventory(),
        "choice": choice,
        "receipt": receipt,
        "gpc": selectors.sends_gpc(request),
        "text": banner.TEXT,
        "banner_version": banner.version(),
        "scripts": ThirdPartyScript.objects.filter(active=True),
        "signed_in": request.user.is_authenticated,
    }
    return render(request, "consent/cookies.html", context)


@csrf_exempt
@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    if not _same_origin(request):
        return render(
            request,
            "core/error.html",
            {
                "title": "Choice not saved",
                "message": "A cookie choice can only be made on this site's own pages.",
            },
            status=403,
        )
    method = _METHODS.get(request.POST.get("choice", ""))
    if method is None:
        return render(
            request,
            "core/error.html",
            {
                "title": "Choice not saved",
                "message": "Please choose Accept all, Reject all or Save my choices.",
            },
            status=400,
        )
    user = request.user
    keep = request.POST.get("keep_link") == "on" and user.is_authenticated
    receipt = services.record_choice(
        method=method,
        analytics=request.POST.get("analytics") == "on",
        marketing=request.POST.get("marketing") == "on",
        gpc=selectors.sends_gpc(request),
        subject=getattr(user, "subject", None) if keep else None,
    )
    response = redirect(_next(request))
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        CONSENT_COOKIE,
        services.cookie_value(receipt=receipt),
        max_age=CONSENT_LIFETIME,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    if receipt.analytics:
        if VISITOR_COOKIE not in request.COOKIES:
            response.set_cookie(
                VISITOR_COOKIE,
                secrets.token_urlsafe(18),
                max_age=VISITOR_LIFETIME,
                secure=secure,
                httponly=True,
                samesite="Lax",
            )
    else:
        response.delete_cookie(VISITOR_COOKIE, samesite="Lax")
    return response
