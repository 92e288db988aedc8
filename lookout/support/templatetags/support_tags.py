"""The product page's published questions and answers (issue 23, item 4), as a tag so the
catalog's view needs no change: the page asks for them, support decides what is shown."""

from __future__ import annotations

from typing import Any

from django import template

from lookout.support.models import PublicQuestion

register = template.Library()


@register.inclusion_tag("support/_product_questions.html")
def product_questions(product: Any) -> dict[str, Any]:
    """Never the asker: only the words staff published."""
    rows = PublicQuestion.objects.filter(product=product).only(
        "question", "answer", "published_at"
    )[:20]
    return {"questions": list(rows), "product": product}


# The staff start pages of the roles that answer conversations show how many wait and which are
# overdue (C1.9), so a late one is seen where the day starts, not only in the queue.
STAFF_ROLES = ("after_sales", "finance", "privacy_officer")
START_LIST = 10


@register.inclusion_tag("support/_staff_waiting.html", takes_context=True)
def conversations_waiting(context: template.Context) -> dict[str, Any]:
    """Counts and the overdue conversations of the signed-in staff member's role: dates and
    order numbers or product codes only, never a word of a message."""
    from lookout.support import selectors

    request = context.get("request")
    role = str(getattr(getattr(request, "user", None), "role", "") or "")
    if role not in STAFF_ROLES:
        return {"shown": False}
    late = list(selectors.overdue(role=role).select_related("order", "product")[:START_LIST])
    return {
        "shown": True,
        "waiting": selectors.queue(role=role).filter(state="waiting").count(),
        "overdue_count": selectors.overdue(role=role).count(),
        "overdue": late,
    }


@register.inclusion_tag("support/_request_conversations.html")
def request_conversations(request_id: Any) -> dict[str, Any]:
    """On the privacy officer's request page: the conversations the request came from (issue
    23, item 3), each opened in the officer's conversation queue while it is with them."""
    from lookout.access.roles import Role
    from lookout.support import selectors

    rows = [
        {"conversation": c, "role_label": Role(c.role).label if c.role in Role.values else c.role}
        for c in selectors.conversations_for_request(request_id=request_id)[:20]
    ]
    return {"rows": rows}
