"""Pages: the catalog manager's promotions page (C3.6) and the one-click opt-out (C3.7).

The promotions page answers 404 to everyone but a catalog manager (the same answer for missing
and forbidden); the second factor is enforced before any staff page by the middleware.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.marketing import services
from lookout.marketing.forms import PromotionForm
from lookout.marketing.models import Promotion
from lookout.marketing.tokens import BadToken


def _manager(request: HttpRequest) -> User:
    user = request.user
    if not (user.is_authenticated and getattr(user, "role", "") == Role.CATALOG_MANAGER):
        raise Http404("No such page.")
    return user  # type: ignore[return-value]


@require_http_methods(["GET", "POST"])
def promotions_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = PromotionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.create_promotion(
                title=form.cleaned_data["title"], body=form.cleaned_data["body"], actor=actor
            )
            messages.success(request, "Draft saved. Check it, then send it.")
            return redirect("marketing:promotions")
        status = 400
    context = {"form": form, "promotions": Promotion.objects.all()[:50]}
    return render(request, "marketing/promotions.html", context, status=status)


@require_POST
def send_view(request: HttpRequest, promotion_id: uuid.UUID) -> HttpResponse:
    actor = _manager(request)
    promotion = Promotion.objects.filter(pk=promotion_id).first()
    if promotion is None:
        raise Http404("No such promotion.")
    try:
        services.send_promotion(
            promotion=promotion, actor=actor, site_url=request.build_absolute_uri("/")
        )
    except services.PromotionError as exc:
        return render(
            request,
            "core/error.html",
            {"title": "Not sent", "message": exc.message},
            status=409,
        )
    messages.success(
        request, "Sending: it goes to the inboxes of customers opted in at this moment."
    )
    return redirect("marketing:promotions")


@require_http_methods(["GET", "POST"])
def opt_out_view(request: HttpRequest, token: str) -> HttpResponse:
    """One click, no sign-in: the opt-out is recorded before this page is shown."""
    try:
        user = services.opt_out_with_token(token=token)
    except BadToken:
        return render(
            request,
            "core/error.html",
            {
                "title": "Link not valid",
                "message": "This opt-out link is not valid. You can change your choice in your "
                "account at any time.",
            },
            status=400,
        )
    return render(request, "marketing/opted_out.html", {"found": user is not None})
