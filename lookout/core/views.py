"""Error pages for people: in the shop's design, each says what happened and what to do next,
and none echoes what the visitor sent, names a route or shows a stack trace.

They must show even when the database is down: the 500 page never touches it, and the others
fall back to that same static page when the full one (category menu, who is signed in) cannot be
built."""

from __future__ import annotations

import logging
import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.template.context_processors import csp

from lookout.core.errors import LookoutError

logger = logging.getLogger(__name__)

TITLES = {
    400: ("Bad request", "That request did not make sense to us, so nothing was done."),
    403: ("You cannot open this page", "This page is not open to you, so nothing was shown."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    429: ("Too many attempts", "We received too many attempts from you in a short time."),
    500: (
        "Something went wrong",
        "Our mistake, not yours: the page failed, and we log it to fix it.",
    ),
    503: ("Please try again shortly", "Part of the shop is not answering. Nothing was done."),
}


def _static_page(request: HttpRequest, context: dict, status: int) -> HttpResponse:
    """The error page built from the request alone (no database, no session)."""
    body = loader.get_template("core/error_static.html").render({**context, **csp(request)})
    return HttpResponse(body, status=status)


def error_page(
    request: HttpRequest,
    *,
    status: int,
    message: str = "",
    title: str = "",
    retry_after: int | None = None,
) -> HttpResponse:
    """The page for `status`, with `message` (meant for the person) instead of the default."""
    default_title, default_message = TITLES.get(status, TITLES[400])
    context = {
        "title": title or default_title,
        "message": message or default_message,
        "status": status,
        "retry_minutes": max(1, math.ceil(retry_after / 60)) if retry_after else None,
    }
    if status >= 500:
        response = _static_page(request, context, status)
    else:
        try:
            response = render(request, "core/error.html", context, status=status)
        except Exception:  # the page itself failed (a database that is down): the static one
            logger.exception("error page %s fell back to the static page", status)
            response = _static_page(request, context, status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def refusal_page(request: HttpRequest, error: LookoutError) -> HttpResponse:
    """A refusal (throttled, too many unpaid orders, ...) no view answered itself."""
    return error_page(
        request,
        status=error.status_code,
        message=error.message,
        retry_after=getattr(error, "retry_after", None),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        status=403,
        title="This form has expired",
        message="Please go back, reload the page and submit the form again. "
        "If your browser blocks all cookies, signing in needs the one strictly necessary "
        "session cookie; shopping and guest checkout work without it.",
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, status=500)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")
