"""`{% readable_sections document as sections %}`: the access file shaped for reading
(lookout.privacy.readable), for the request pages that show it."""

from __future__ import annotations

from typing import Any

from django import template

from lookout.privacy import readable

register = template.Library()


@register.simple_tag
def readable_sections(document: dict[str, Any]) -> list[readable.ReadableSection]:
    return readable.readable_sections(document)


@register.simple_tag
def generated_on(document: dict[str, Any]) -> str:
    return readable.generated_words(document)
