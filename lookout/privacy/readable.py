"""The access file as a person reads it (issue 22, item 1): each section of the JSON document
turned into tables, lists of facts and sentences, with dates, amounts and codes in words, and
an empty section said in a sentence. The JSON download stays as it is; this only shapes what
the request page shows, from the same document (nothing is read again, nothing audited twice).

The shapes are generic (a list of flat records is a table, a list of records holding lists is
a list of cards, a record is a list of facts), so a new section reads well without code here;
the words below only make known keys and sections read better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone

from lookout.audit.words import action_words, fields_words
from lookout.core.money import format_usd

# What a section with nothing in it says.
EMPTY: dict[str, str] = {
    "account": "You have no account with us: we know you only from what you gave us for an "
    "order or a question.",
    "addresses": "You have no saved addresses.",
    "orders": "You have placed no orders with us.",
    "cancellations": "No order of yours was cancelled.",
    "order_notes": "Our staff wrote no notes on your orders.",
    "payments": "We hold no payments of yours.",
    "messages": "Your inbox is empty.",
    "conversations": "You have had no conversations with customer service.",
    "question_email": "You gave us no email address to ask a question.",
    "marketing_choices": "You never chose to receive offers or news by email.",
    "policy_acceptances": "We hold no record of you accepting a policy.",
    "disclosures": "We have shared none of your data with partners.",
    "consented_disclosures": "We have shared nothing of yours with your one-off consent.",
    "staff_accesses": "No one on our staff has looked at your data.",
    "requests": "You have made no privacy requests.",
    "restrictions": "You have not asked us to restrict the processing of your data.",
    "reviews": "You have written no reviews.",
}
EMPTY_FALLBACK = "We hold nothing of this kind about you."

# Column and fact names in words; any other key reads as its own words.
LABELS: dict[str, str] = {
    "at": "When",
    "sku": "Product code",
    "last4": "Card ends in",
    "token": "Processor's token",
    "what": "What they did",
    "why": "Why",
    "fields": "Which data",
    "data": "Which data",
    "role": "Who (by role)",
    "by": "By",
    "kind": "Kind",
    "from": "From",
    "to": "To",
    "opted_in": "Said yes",
    "where": "Where",
    "how": "How",
    "partner_kind": "Kind of partner",
    "staff_role": "Staff role",
    "staff_display_name": "Name shown to colleagues",
    "email_when_a_message_waits": "Email me when a message waits",
    "you_agreed_to_publish": "You agreed to publish it",
    "published_on_the_product_page": "Published on the product page",
    "name_shown": "Name shown",
    "extended_from": "Due date before the extension",
    "extension_reason": "Why it was extended",
    "lift_reason": "Why it was lifted",
    "proved_at": "Proved",
}

# Keys whose value is a code better said in words.
HIDDEN = {"id"}  # identifiers the JSON file keeps; no help to a reader
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Node:
    """One thing to show: `kind` is text, table, facts, cards or nothing."""

    kind: str
    text: str = ""
    muted: bool = False
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, Node]]] = field(default_factory=list)  # (column, cell)
    facts: list[tuple[str, Node]] = field(default_factory=list)
    cards: list[tuple[str, Node]] = field(default_factory=list)


@dataclass
class ReadableSection:
    name: str
    title: str
    description: str
    empty: str  # the sentence for an empty section, "" when there is something to show
    body: Node | None


def label(key: str) -> str:
    known = LABELS.get(key)
    if known is not None:
        return known
    words = key.removesuffix("_usd")
    if words.endswith("_at") and words != "_at":
        words = words.removesuffix("_at")
    return words.replace("_", " ").strip().capitalize() or key


def _text(text: str, *, muted: bool = False) -> Node:
    return Node("text", text=text, muted=muted)


def _when(value: str) -> str | None:
    if _ISO_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        local = timezone.localtime(moment)
        return f"{formats.date_format(local, 'j F Y')}, {local:%H:%M} {local.tzname() or 'UTC'}"
    if _ISO_DATE.match(value):
        try:
            return formats.date_format(date.fromisoformat(value), "j F Y")
        except ValueError:
            return None
    return None


def _order_states() -> dict[str, str]:
    from lookout.orders.models import Status

    return {str(value): str(name) for value, name in Status.choices}


def _is_flat(value: Any) -> bool:
    """Shown in one table cell: a plain value, a list of plain values, or an address."""
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    if isinstance(value, dict):
        return all(not isinstance(v, dict | list) for v in value.values())
    return True


def value_node(key: str, value: Any) -> Node:
    if value is None or value == "":
        return _text("—", muted=True)
    if isinstance(value, bool):
        return _text("Yes" if value else "No")
    if isinstance(value, int | float | Decimal):
        return _text(format_usd(Decimal(str(value))) if key.endswith("_usd") else str(value))
    if isinstance(value, str):
        if key.endswith("_usd"):
            try:
                return _text(format_usd(Decimal(value)))
            except (InvalidOperation, ValueError):
                return _text(value)
        when = _when(value)
        if when is not None:
            return _text(when)
        if key == "what":
            return _text(action_words(value))
        if key in ("from", "to"):
            return _text(_order_states().get(value, value))
        if key == "outcome":
            return _text(value.replace("_", " ").capitalize())
        return _text(value)
    if isinstance(value, list):
        if not value:
            return _text("none", muted=True)
        if all(not isinstance(v, dict | list) for v in value):
            if key in ("fields", "data"):
                return _text(fields_words(value))
            return _text(", ".join(str(v) for v in value))
        return records_node(value)
    if isinstance(value, dict):
        if not value:
            return _text("none", muted=True)
        if key == "address" and _is_flat(value):
            return _text(_address(value))
        return facts_node(value)
    return _text(str(value))


# An address's parts in the order they are written on an envelope; others follow.
_ADDRESS_ORDER = (
    "name",
    "organization",
    "street_address",
    "address_line1",
    "address_line2",
    "dependent_locality",
    "locality",
    "city",
    "administrative_area",
    "postal_code",
    "sorting_code",
    "country_code",
    "country",
)


def _address(parts: dict[str, Any]) -> str:
    ordered = [k for k in _ADDRESS_ORDER if k in parts] + [
        k for k in parts if k not in _ADDRESS_ORDER
    ]
    return ", ".join(str(parts[k]) for k in ordered if parts[k] not in (None, ""))


def facts_node(record: dict[str, Any]) -> Node:
    return Node(
        "facts",
        facts=[(label(k), value_node(k, v)) for k, v in record.items() if k not in HIDDEN],
    )


def _card_title(record: dict[str, Any]) -> str:
    if record.get("number"):
        return f"Order {record['number']}"
    for key in ("about", "product", "order", "title", "partner"):
        if record.get(key):
            return str(record[key])
    return ""


def records_node(records: list[Any]) -> Node:
    """A list of records: a table when every value fits a cell, otherwise one card each."""
    dicts = [r for r in records if isinstance(r, dict)]
    if len(dicts) != len(records):
        return Node("cards", cards=[("", value_node("", r)) for r in records])
    if all(_is_flat(v) for r in dicts for v in r.values()):
        columns: list[str] = []
        for r in dicts:
            columns.extend(k for k in r if k not in columns and k not in HIDDEN)
        return Node(
            "table",
            columns=[label(c) for c in columns],
            rows=[[(label(c), value_node(c, r.get(c))) for c in columns] for r in dicts],
        )
    return Node("cards", cards=[(_card_title(r), facts_node(r)) for r in dicts])


def _is_empty(data: Any) -> bool:
    if data is None or data == [] or data == {}:
        return True
    # A record whose lists are all empty and whose other values are unset (the conversations
    # section of someone who never wrote: no conversation, the email setting off) is said in
    # words too.
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        rest = [v for v in data.values() if not isinstance(v, list)]
        return bool(lists) and not any(lists) and not any(rest)
    return False


def readable_sections(document: dict[str, Any]) -> list[ReadableSection]:
    shown = []
    for s in document.get("sections", []):
        data = s.get("data")
        name = str(s.get("name", ""))
        if _is_empty(data):
            shown.append(
                ReadableSection(
                    name=name,
                    title=str(s.get("title", "")),
                    description=str(s.get("description") or ""),
                    empty=EMPTY.get(name, EMPTY_FALLBACK),
                    body=None,
                )
            )
            continue
        if isinstance(data, list):
            body = records_node(data)
        elif isinstance(data, dict):
            body = facts_node(data)
        else:
            body = value_node(name, data)
        shown.append(
            ReadableSection(
                name=name,
                title=str(s.get("title", "")),
                description=str(s.get("description") or ""),
                empty="",
                body=body,
            )
        )
    return shown


def generated_words(document: dict[str, Any]) -> str:
    value = document.get("generated_at")
    return (_when(value) if isinstance(value, str) else None) or ""
