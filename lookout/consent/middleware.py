"""Widen the Content-Security-Policy to a registered third-party origin, for this response only,
when the visitor opted in to that script's category (C7.5). Everyone else keeps the strict
policy from settings.SECURE_CSP, which allows no other origin.

Position: list it in MIDDLEWARE immediately BEFORE
"django.middleware.csp.ContentSecurityPolicyMiddleware". Response phases run in reverse order,
so this one sees the response after Django's CSP middleware has written the header.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP

from lookout.consent import selectors

WIDENED = ("script-src", "connect-src", "img-src")


def widen(policy: str, origins: list[str]) -> str:
    """`policy` with `origins` added to the script, connect and image directives."""
    out = []
    for directive in (d.strip() for d in policy.split(";")):
        if not directive:
            continue
        name = directive.split()[0].lower()
        if name in WIDENED:
            have = directive.split()
            directive = " ".join(have + [o for o in origins if o not in have])
        out.append(directive)
    return "; ".join(out)


class ConsentCSPMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        header = str(CSP.HEADER_ENFORCE)
        if header in response and "text/html" in response.get("Content-Type", ""):
            origins = sorted({s.origin for s in selectors.scripts_for(request)})
            if origins:
                response[header] = widen(response[header], origins)
        return response
