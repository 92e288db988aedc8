"""The administrator's queue: staff accounts and roles, partners and agreements (C4.3).

Emails are shown masked, through `reveal` with purpose ACCOUNT_SECURITY (the matrix grants
administrators the masked level only), so even this page holds no personal data in full.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.staff import services
from lookout.staff.access import role_required


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    from lookout.sharing.selectors import partners, today

    staff = [
        {
            "user": user,
            # Masked for an administrator; their own row is not read at all.
            "email": None
            if user.pk == request.user.pk
            else reveal(
                user,
                ["email"],
                purpose=Purpose.ACCOUNT_SECURITY,
                actor=request.user,  # type: ignore[arg-type]
            )["email"],
        }
        for user in User.objects.exclude(role="").order_by("role", "date_joined")
    ]
    context = {
        "staff": staff,
        "roles": Role.choices,
        "partners": list(partners()),
        "today": today(),
        "error": error,
    }
    return render(request, "staff/administrator.html", context, status=status)


@role_required(Role.ADMINISTRATOR)
@require_safe
def administrator(request: HttpRequest) -> HttpResponse:
    return _page(request)


@role_required(Role.ADMINISTRATOR)
@require_POST
def create_staff(request: HttpRequest) -> HttpResponse:
    from lookout.accounts.services import send_password_reset

    email = str(request.POST.get("email", ""))[:254]
    try:
        user = services.create_staff(
            email=email,
            role=str(request.POST.get("role", "")),
            actor=request.user,  # type: ignore[arg-type]
        )
    except LookoutError as error:
        return _page(request, error=error.message, status=error.status_code)
    send_password_reset(email=email, site_url=request.build_absolute_uri("/"))
    messages.success(
        request,
        f"{user.get_role_display()} account created; a link to choose a password was emailed.",
    )
    return redirect("staff:administrator")


@role_required(Role.ADMINISTRATOR)
@require_POST
def change_role(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    user = get_object_or_404(User.objects.exclude(role=""), pk=user_id)
    try:
        changed = services.change_role(
            user=user,
            role=str(request.POST.get("role", "")),
            actor=request.user,  # type: ignore[arg-type]
        )
    except LookoutError as error:
        return _page(request, error=error.message, status=error.status_code)
    messages.success(request, f"Role changed to {changed.get_role_display()}.")
    return redirect("staff:administrator")
