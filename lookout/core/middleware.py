"""Refuse NUL characters at the door (C4.5).

PostgreSQL text cannot hold a NUL (U+0000): a `%00` that reaches a lookup such as
`Product.objects.filter(sku=...)` raises DataError, which would answer 500. No page, product,
token or form field of the store ever needs one, so one check here covers every URL and form
instead of a guard in each view (form bodies too; multipart ones only when they fit in
memory, so file uploads still stream). JSON bodies are left to the API's own validation (the body is
not parsed here, and the cart service refuses such a SKU as unknown).

Position: list it in MIDDLEWARE right after SecurityMiddleware, before anything reads the
session or the database.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

NUL = "\x00"
MESSAGE = (
    "The request contains a NUL character (%00), which no address, search or form field of "
    "this store can hold. Remove it and try again."
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _form_body_fits(request: HttpRequest) -> bool:
    """A form body small enough to hold in memory; larger multipart uploads (files) are left to
    stream to their view untouched, and their fields to its form validation."""
    if request.content_type not in FORM_TYPES:
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return request.content_type != "multipart/form-data" or limit is None or length <= limit


def has_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string or a submitted form field holds a NUL."""
    if NUL in request.path_info or NUL in request.path:
        return True
    query = str(request.META.get("QUERY_STRING", ""))
    if NUL in query or b"\x00" in unquote_to_bytes(query):
        return True
    if request.method == "POST" and _form_body_fits(request):
        try:
            # Read the body first so it stays cached: a view that checks a signature over
            # request.body (webhooks) can still read it after the form is parsed from it.
            request.body  # noqa: B018
            fields = request.POST
        except (RequestDataTooBig, TooManyFieldsSent, BadRequest):
            return False  # the view's own handling of a body it cannot read answers this one
        return any(
            NUL in key or any(NUL in value for value in values) for key, values in fields.lists()
        )
    return False


def _refusal(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": MESSAGE}, status=400)
    return render(
        request,
        "core/error.html",
        {"title": "Bad request", "message": MESSAGE},
        status=400,
    )


class RejectNulMiddleware:
    """Answer 400 with a plain explanation when the request carries a NUL character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return _refusal(request)
        return self.get_response(request)


class RefusalPageMiddleware:
    """A refusal a page view let through (`LookoutError`: throttled, too many unpaid orders, not
    found, ...) answers its own status with the shop's error page and the refusal's message,
    never a 500. The JSON API answers these itself, as Problem JSON (lookout.api).

    Position: anywhere; only its exception phase acts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from lookout.core.errors import LookoutError
        from lookout.core.views import refusal_page

        if not isinstance(exception, LookoutError) or request.path_info.startswith("/api/"):
            return None
        return refusal_page(request, exception)
