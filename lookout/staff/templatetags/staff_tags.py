"""Small template helpers for the back office."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    """`{% lookup payments r.payment_id as p %}`: a dict value by a key held in a variable."""
    return mapping.get(key)


@register.filter
def role_words(code: str) -> str:
    """A role's code in words ("after_sales" -> "After-sales"); an unknown one as its words."""
    from lookout.access.roles import Role

    labels = dict(Role.choices)
    return str(labels.get(code, str(code).replace("_", " ").capitalize()))


@register.filter
def data_words(codes: object) -> str:
    """Field names or data categories in words ("orders.Delivery.name" -> "name (delivery)")."""
    from lookout.audit.words import fields_words

    return fields_words(codes)
