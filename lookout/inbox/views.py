"""The person's inbox pages. Words are read through `reveal` (purpose self_service), so every
reading is on the audit log like any other read of personal data."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.inbox import selectors, services

if TYPE_CHECKING:  # an annotation only: inbox does not read accounts
    from lookout.accounts.models import User

PAGE_SIZE = 20


def _staff_note(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "No inbox for staff accounts",
            "message": "The inbox is where customers get their order and policy messages.",
        },
        status=404,
    )


@login_required
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.role:
        return _staff_note(request)
    page = Paginator(selectors.messages_for(subject=user.subject), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "message": message,
            **reveal(message, ["title"], purpose=Purpose.SELF_SERVICE, actor=user),
        }
        for message in page.object_list
    ]
    return render(request, "inbox/inbox.html", {"page": page, "rows": rows})


@login_required
@require_GET
def message_view(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.role:
        return _staff_note(request)
    message = selectors.message_for(subject=user.subject, message_id=message_id)
    if message is None:
        raise Http404("No such message.")
    words = reveal(message, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=user)
    services.mark_read(message=message)
    return render(request, "inbox/message.html", {"message": message, **words})
