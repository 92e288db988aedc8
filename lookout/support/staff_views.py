"""The back office's side: each role's conversation queue, one conversation, and what staff do
with it (answer, write an internal note, close, reopen, hand over), plus search by order number
or exact email (C1.9, C4.3, C4.4).

A role sees only its own queue. Words are read through the gate with the purpose of the role's
job (after-sales for after-sales, refund for finance, subject request for the privacy officer),
so every page that shows them writes its audit entry. The queue itself shows no personal field:
order numbers, dates and whether the first answer is overdue.

The role check is this module's own (the staff app sits above this one and may not be imported).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lookout.access import reveal_many
from lookout.access.roles import Role
from lookout.core.errors import LookoutError
from lookout.support import search as finder
from lookout.support import selectors, services, staff_alerts
from lookout.support.models import Conversation, PublicQuestion

View = Callable[..., HttpResponse]
QUEUE_ROLES = tuple(str(r) for r in services.HANDOVER_ROLES)


def _support_role(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_active and getattr(user, "role", "") in QUEUE_ROLES):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


@_support_role
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    role = _role(request)
    today = timezone.localdate()
    rows = [
        {"conversation": c, "overdue": c.is_overdue(today)}
        for c in selectors.queue(role=role)[:200]
    ]
    return render(
        request,
        "support/staff_queue.html",
        {
            "rows": rows,
            "overdue": selectors.overdue(role=role).count(),
            "role_label": Role(role).label,
            "alert_on": staff_alerts.wants_email(request.user),
            "alert_saved": request.GET.get("saved") == "1",
        },
    )


@_support_role
@require_POST
def notices(request: HttpRequest) -> HttpResponse:
    """A staff member's own choice: an email when a conversation waits in their role's queue
    or becomes overdue (CSRF-checked; off until chosen)."""
    staff_alerts.set_choice(
        user=request.user, email_on_waiting=request.POST.get("email_on_waiting") == "on"
    )
    return redirect(reverse("support:staff_queue") + "?saved=1")


@_support_role
@require_POST
def search(request: HttpRequest) -> HttpResponse:
    """By order number or exact email (a POST, so no email lands in a URL or an access log).
    The email is compared as a blind index; message text is never searched."""
    number = str(request.POST.get("number", ""))[:20].strip()
    email = str(request.POST.get("email", ""))[:254].strip()
    if not number and not email:
        return render(
            request,
            "support/staff_queue.html",
            {"rows": [], "error": "Type an order number or an exact email.", "searched": True},
            status=400,
        )
    role = _role(request)
    if email:
        found = finder.by_email(
            email=email,
            role=role,
            purpose=services.PURPOSE_OF_ROLE[Role(role)],
            actor=request.user,
        )
    else:
        found = list(finder.by_number(number=number, role=role)[: finder.LIMIT])
    today = timezone.localdate()
    rows = [{"conversation": c, "overdue": c.is_overdue(today)} for c in found]
    return render(
        request,
        "support/staff_queue.html",
        {"rows": rows, "searched": True, "role_label": Role(role).label},
    )


def _conversation_for(request: HttpRequest, conversation_id: uuid.UUID) -> Conversation:
    """Only a conversation in the reader's own role's queue: another role's is a 404."""
    found = (
        Conversation.objects.select_related("order")
        .filter(pk=conversation_id, role=_role(request))
        .first()
    )
    if found is None:
        raise Http404("No such conversation in your queue.")
    return found


def _page(
    request: HttpRequest, found: Conversation, *, status: int = 200, **extra: Any
) -> HttpResponse:
    role = _role(request)
    posts = list(selectors.posts_for_staff(found))
    words = (
        reveal_many(
            posts,
            ["body"],
            purpose=services.PURPOSE_OF_ROLE[Role(role)],
            actor=request.user,  # type: ignore[arg-type]
        )
        if posts
        else []
    )
    rows = [{"post": p, "body": w["body"]} for p, w in zip(posts, words, strict=True)]
    published = PublicQuestion.objects.filter(conversation=found).first()
    context = {
        "conversation": found,
        "posts": rows,
        "published": published,
        "draft_question": published.question
        if published
        else next((r["body"] for r in rows if r["post"].author == "customer"), ""),
        "draft_answer": published.answer
        if published
        else next((r["body"] for r in rows if r["post"].author == "staff"), ""),
        "overdue": found.is_overdue(),
        "handover": [(str(r), r.label) for r in services.HANDOVER_ROLES if str(r) != role],
        # The privacy requests this conversation resulted in: the officer opens each from here.
        "request_links": [
            {
                "link": link,
                "href": reverse("privacy:queue_request", args=[link.request_id])
                if role == Role.PRIVACY_OFFICER
                else "",
            }
            for link in selectors.request_links(found)
        ],
        **extra,
    }
    return render(request, "support/staff_conversation.html", context, status=status)


@_support_role
@require_http_methods(["GET", "HEAD", "POST"])
def conversation(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    found = _conversation_for(request, conversation_id)
    if request.method != "POST":
        return _page(request, found)
    action = str(request.POST.get("action", ""))[:10]
    body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
    role = _role(request)
    try:
        if action == "reply":
            services.staff_replies(conversation=found, body=body, role=role)
        elif action == "note":
            services.staff_note(conversation=found, body=body, role=role)
        elif action == "close":
            services.close(conversation=found)
        elif action == "reopen":
            services.reopen(conversation=found)
        elif action == "publish":
            services.publish_question(
                conversation=found,
                question=str(request.POST.get("question", ""))[: services.PUBLIC_MAX + 1],
                answer=str(request.POST.get("answer", ""))[: services.PUBLIC_MAX + 1],
            )
        elif action == "unpublish":
            services.unpublish_question(conversation=found)
        elif action == "handover":
            services.hand_over(conversation=found, to_role=str(request.POST.get("to", ""))[:32])
            return redirect("support:staff_queue")
        else:
            raise LookoutError("Unknown action.")
    except LookoutError as error:
        return _page(request, found, status=error.status_code, error=error.message, body=body)
    return redirect("support:staff_conversation", conversation_id=found.pk)
