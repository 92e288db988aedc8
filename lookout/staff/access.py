"""Who may open which back-office page: one role per queue (C4.3).

Anonymous visitors are sent to sign in; a signed-in person without the role (a customer, or
staff of another role) gets the same 404 as for a page that does not exist, so the back office
does not tell them what is there. The accounts middleware has already held staff without their
second factor on /accounts/otp/ (C4.7).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from lookout.access.roles import Role

View = Callable[..., HttpResponse]


def has_role(user: Any, *roles: str) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "role", "") in roles
    )


def role_required(*roles: Role) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
