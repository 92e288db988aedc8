"""How a personal value looks to a reader who may know it exists but not what it is."""

from __future__ import annotations

DOT = "•••"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return DOT
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}{DOT}@{host[:1]}{DOT}.{tld}" if host else f"{local[:1]}{DOT}@{DOT}"


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    return DOT + "".join(digits[-2:]) if len(digits) > 4 else DOT


def mask_name(value: str) -> str:
    return " ".join(part[:1] + DOT for part in value.split()) or DOT


def mask(category: str, value: str | None) -> str | None:
    """Mask by data category (fideslang names): enough to recognise, not to use."""
    if value is None:
        return None
    if category.startswith("user.contact.email"):
        return mask_email(value)
    if category.startswith("user.contact.phone"):
        return mask_phone(value)
    if category.startswith("user.name"):
        return mask_name(value)
    return DOT
