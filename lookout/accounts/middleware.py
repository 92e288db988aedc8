"""Staff must pass their second factor before any page that can reveal personal data (C4.7)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from lookout.access.roles import OTP_SESSION_KEY

__all__ = ["OTP_SESSION_KEY", "StaffSecondFactorMiddleware"]

OPEN_TO_UNVERIFIED_STAFF = ("/accounts/otp/", "/accounts/logout/", "/static/")


class StaffSecondFactorMiddleware:
    """A signed-in staff member without the session flag reaches only the second-factor page,
    sign-out and static files; every other URL redirects there (C4.7)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "role", "")
            and not request.session.get(OTP_SESSION_KEY)
            and not request.path.startswith(OPEN_TO_UNVERIFIED_STAFF)
        ):
            return redirect(reverse("accounts:otp") + "?" + urlencode({"next": request.path}))
        return self.get_response(request)
