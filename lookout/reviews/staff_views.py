"""Moderation (issue 24, item 4): reviews wait here until after-sales publishes or rejects them.

The words are read through the gate, for after-sales' purpose, so every page that shows them
writes its audit entry (C4.4); publishing or rejecting is audited too and invalidates the cached
storefront pages. Only the moderating role reaches this page (404 for everyone else); the role
check is this module's own, since the staff app sits above this one and may not be imported.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lookout.core.errors import LookoutError
from lookout.reviews import selectors, services

QUEUE_LIMIT = 50


def _page(
    request: HttpRequest, *, status: int = 200, error: str = "", done: str = ""
) -> HttpResponse:
    pending = list(selectors.pending()[:QUEUE_LIMIT])
    words = services.words_for_moderation(pending, actor=request.user)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = [{"review": r, **w} for r, w in zip(pending, words, strict=True)]
    return render(
        request,
        "reviews/moderation.html",
        {
            "rows": rows,
            "waiting": selectors.pending().count(),
            "recent": list(selectors.moderated(limit=20)),
            "error": error,
            "done": done,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def moderation(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_active and getattr(user, "role", "") == services.MODERATOR):
        raise Http404("No such page.")
    if request.method != "POST":
        return _page(request, done=str(request.GET.get("done", ""))[:16])
    action = str(request.POST.get("action", ""))[:16]
    try:
        review_id = uuid.UUID(str(request.POST.get("review", ""))[:36])
    except ValueError:
        return _page(request, status=400, error="Choose a review to publish or reject.")
    try:
        if action == "publish":
            services.publish(review_id=review_id, actor=user)  # type: ignore[arg-type]
        elif action == "reject":
            services.reject(review_id=review_id, actor=user)  # type: ignore[arg-type]
        else:
            return _page(request, status=400, error="Choose to publish or to reject the review.")
    except LookoutError as refusal:
        return _page(request, status=refusal.status_code, error=refusal.message)
    return redirect(f"{request.path}?done={'published' if action == 'publish' else 'rejected'}")
