"""The banner and the consented third-party scripts, for base.html on every page."""

from __future__ import annotations

from django import template

from lookout.consent import banner, selectors

register = template.Library()


@register.inclusion_tag("consent/_banner.html", takes_context=True)
def consent_banner(context: template.Context) -> dict:
    """The first-layer banner until the visitor chooses (shown again on every page when cookies
    are blocked, which breaks nothing). Not on the cookie page, which has the full form."""
    request = context.get("request")
    if request is None:
        return {"show": False}
    show = selectors.needs_banner(request) and not request.path.startswith("/cookies/")
    return {
        "show": show,
        "gpc": show and selectors.sends_gpc(request),
        "text": banner.TEXT,
        "next": request.get_full_path(),
    }


@register.inclusion_tag("consent/_scripts.html", takes_context=True)
def consent_scripts(context: template.Context) -> dict:
    """Third-party scripts the visitor opted in to; nothing at all before consent (C7.5)."""
    request = context.get("request")
    return {
        "scripts": selectors.scripts_for(request) if request is not None else [],
        "csp_nonce": context.get("csp_nonce"),
    }
