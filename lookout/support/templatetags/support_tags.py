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
