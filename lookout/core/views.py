"""Error pages that explain the problem and never echo what the visitor sent."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "This form has expired",
            "message": "Please go back, reload the page and submit the form again. "
            "If your browser blocks all cookies, signing in needs the one strictly necessary "
            "session cookie; shopping and guest checkout work without it.",
        },
        status=403,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "Page not found", "message": "We could not find that page."},
        status=404,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "Bad request", "message": "That request did not make sense to us."},
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "Something went wrong", "message": "Nothing was saved. Please try again."},
        status=500,
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")
