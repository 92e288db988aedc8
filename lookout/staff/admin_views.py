"""The administrator's queue: staff accounts and roles, partners and agreements (C4.3).

Emails are shown masked, through `reveal` with purpose ACCOUNT_SECURITY (the matrix grants
administrators the masked level only), so even this page holds no personal data in full.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.invitations import invitation_hours
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
        for user in User.objects.exclude(role="").order_by("-is_active", "role", "date_joined")
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
    """Open the account and email its invitation in one transaction: no account is left that
    nobody was invited to (issue 19, finding 10: the reset link this sent never went out)."""
    email = str(request.POST.get("email", ""))[:254]
    try:
        with transaction.atomic():
            user = services.create_staff(
                email=email,
                role=str(request.POST.get("role", "")),
                actor=request.user,  # type: ignore[arg-type]
            )
            services.invite(
                user=user,
                actor=request.user,  # type: ignore[arg-type]
                site_url=request.build_absolute_uri("/"),
            )
    except LookoutError as error:
        return _page(request, error=error.message, status=error.status_code)
    messages.success(
        request,
        f"{user.get_role_display()} account created; an invitation was emailed. "
        f"Its link works once, for {invitation_hours()} hours.",
    )
    return redirect("staff:administrator")


def _chosen_staff(request: HttpRequest) -> User | None:
    """The staff member named by the form's `user` field; None if it names nobody valid."""
    try:
        pk = uuid.UUID(str(request.POST.get("user", "")))
    except ValueError:
        return None
    return User.objects.exclude(role="").filter(pk=pk).first()


def _on_chosen(request: HttpRequest, act: Callable[[User], object], done: str) -> HttpResponse:
    user = _chosen_staff(request)
    if user is None:
        return _page(request, error="Choose a staff member from the list.", status=400)
    try:
        act(user)
    except LookoutError as error:
        return _page(request, error=error.message, status=error.status_code)
    messages.success(request, done)
    return redirect("staff:administrator")


@role_required(Role.ADMINISTRATOR)
@require_POST
def resend_invitation(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return _on_chosen(
        request,
        lambda user: services.invite(
            user=user,
            actor=actor,  # type: ignore[arg-type]
            site_url=request.build_absolute_uri("/"),
        ),
        f"A new invitation was emailed; the earlier link no longer works. "
        f"It works once, for {invitation_hours()} hours.",
    )


@role_required(Role.ADMINISTRATOR)
@require_POST
def reset_second_factor(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return _on_chosen(
        request,
        lambda user: services.reset_second_factor(user=user, actor=actor),  # type: ignore[arg-type]
        "Second factor reset: they are signed out and set up their authenticator app again "
        "at their next sign-in.",
    )


@role_required(Role.ADMINISTRATOR)
@require_POST
def set_display_name(request: HttpRequest) -> HttpResponse:
    actor = request.user
    name = str(request.POST.get("display_name", ""))
    return _on_chosen(
        request,
        lambda user: services.set_display_name(
            user=user,
            display_name=name,
            actor=actor,  # type: ignore[arg-type]
        ),
        "Display name saved: colleagues see it in the back office and the audit log.",
    )


@role_required(Role.ADMINISTRATOR)
@require_POST
def deactivate_staff(request: HttpRequest) -> HttpResponse:
    actor = request.user
    return _on_chosen(
        request,
        lambda user: services.deactivate(user=user, actor=actor),  # type: ignore[arg-type]
        "Account deactivated: they are signed out and can no longer sign in.",
    )


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
