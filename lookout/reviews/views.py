"""The reviewer's side: write a review of a delivered product, see one's reviews, withdraw one;
and the visitor's: a product's published reviews, apart from its cached page.

Works without JavaScript (plain forms, redirects). Every refusal is a 4xx page with a sentence
saying why: not signed in (sign-in), not a verified buyer (403), already reviewed (409), a form
error (400), too many attempts (429).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from lookout.access import reveal_many
from lookout.accounts.throttle import Throttled
from lookout.catalog.models import Product
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.reviews import selectors, services


def _write_page(
    request: HttpRequest, product: Product, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "product": product,
        "body_max": services.BODY_MAX,
        "body_min": services.BODY_MIN,
        "pseudonym_max": services.PSEUDONYM_MAX,
        "agreement": services.AGREEMENT,
        "star_choices": [5, 4, 3, 2, 1],
        **extra,
    }
    return render(request, "reviews/write.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def write(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("parent"), slug=slug)
    product = product.parent or product  # a variant is reviewed as its product
    user = request.user
    if request.method == "POST":
        stars = str(request.POST.get("stars", ""))[:2]
        body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
        pseudonym = str(request.POST.get("pseudonym", ""))[: services.PSEUDONYM_MAX + 1]
        agreed = request.POST.get("agree") == "on"
        try:
            services.count_attempt(user=user, ip=client_ip(request))  # type: ignore[arg-type]
            services.write_review(
                user=user,  # type: ignore[arg-type]
                product=product,
                stars=stars,
                body=body,
                pseudonym=pseudonym,
                agreed=agreed,
            )
        except (services.NotAVerifiedBuyer, services.AlreadyReviewed) as refusal:
            return _write_page(
                request, product, status=refusal.status_code, refused=refusal.message
            )
        except Throttled as refusal:
            response = _write_page(
                request,
                product,
                status=429,
                error=refusal.message,
                stars=stars,
                body=body,
                pseudonym=pseudonym,
                agreed=agreed,
            )
            response["Retry-After"] = str(refusal.retry_after)
            return response
        except LookoutError as error:
            return _write_page(
                request,
                product,
                status=error.status_code,
                error=error.message,
                stars=stars,
                body=body,
                pseudonym=pseudonym,
                agreed=agreed,
            )
        return redirect(f"{_mine_url()}?sent={product.sku}")
    try:
        order = services.qualifying_order(user=user, product=product)  # type: ignore[arg-type]
    except (services.NotAVerifiedBuyer, services.AlreadyReviewed) as refusal:
        return _write_page(request, product, status=refusal.status_code, refused=refusal.message)
    pseudonym = services.default_pseudonym(user=user, order=order)  # type: ignore[arg-type]
    return _write_page(request, product, pseudonym=pseudonym, order=order)


def _mine_url() -> str:
    from django.urls import reverse

    return reverse("reviews:mine")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """One's own reviews, their words read through the gate for one's own view; a POST
    withdraws one (words, name and stars)."""
    user = request.user
    if getattr(user, "role", ""):
        return render(
            request,
            "core/error.html",
            {
                "title": "Staff accounts write no reviews",
                "message": "Reviews are written by customers who received the product.",
            },
            status=404,
        )
    error, status = "", 200
    if request.method == "POST":
        try:
            review_id = uuid.UUID(str(request.POST.get("review", ""))[:36])
        except ValueError:
            error, status = "Choose one of your reviews.", 400
        else:
            try:
                services.withdraw(user=user, review_id=review_id)  # type: ignore[arg-type]
            except LookoutError as refusal:
                error, status = refusal.message, refusal.status_code
            else:
                return redirect(f"{_mine_url()}?withdrawn=1")
    rows = list(selectors.reviews_of(subject=user.subject))  # type: ignore[union-attr]
    live = [r for r in rows if r.erased_at is None]
    opened = reveal_many(live, ["pseudonym", "body"], purpose=Purpose.SELF_SERVICE, actor=user)  # type: ignore[arg-type]
    words = {r.pk: v for r, v in zip(live, opened, strict=True)}
    reviews = [{"review": r, **words.get(r.pk, {"pseudonym": None, "body": None})} for r in rows]
    sent = str(request.GET.get("sent", ""))[:32]
    return render(
        request,
        "reviews/mine.html",
        {
            "reviews": reviews,
            "sent": sent,
            "withdrawn": request.GET.get("withdrawn") == "1",
            "error": error,
        },
        status=status,
    )


@require_safe
def published(request: HttpRequest, slug: str) -> HttpResponse:
    """A product's newest published reviews: names, stars, words and dates.

    The product page (cached, shared by every visitor) shows only the average and the count,
    and loads this with htmx; without JavaScript its link leads here, a page of its own. The
    words are each reviewer's personal data, shown as they agreed (C3.8): this answer is never
    stored, neither in the page cache nor in a browser's or a proxy's."""
    product = get_object_or_404(Product.objects.select_related("parent", "category"), slug=slug)
    product = product.parent or product  # a variant's reviews are its product's
    reviews = services.shown_on_page(product_id=product.pk)
    for shown in reviews:
        shown["glyphs"] = "★" * shown["stars"] + "☆" * (5 - shown["stars"])
    partial = request.headers.get("HX-Request") == "true"
    context: dict[str, Any] = {"product": product, "reviews": reviews}
    if not partial:
        rating = selectors.rating_of(product.pk)
        context["count"] = rating.count if rating else 0
        context["average"] = rating.average if rating else 0.0
    template = "reviews/_published.html" if partial else "reviews/published.html"
    response = render(request, template, context)
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["HX-Request"])
    return response
