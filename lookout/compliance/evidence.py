"""A self-audit check's evidence as a person reads it (issue 22): keys in words, dates as dates,
yes/no for true/false, lists as lists, lists of records as small tables. Identifiers (table and
column names, ids, hashes, setting names) stay as they are, shown as code. The page keeps the
stored JSON too, collapsed, for an auditor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)
_WORDY_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_SETTING = re.compile(r"[A-Z][A-Z0-9_]+")


@dataclass(frozen=True)
class Node:
    """One piece of evidence: `text`, `code`, `time` (text, machine), `list` (items), `pairs`
    (a definition list of key and value nodes) or `table` (headers, rows)."""

    kind: str
    text: str = ""
    machine: str = ""
    items: tuple[Node, ...] = ()
    pairs: tuple[tuple[Node, Node], ...] = ()
    headers: tuple[Node, ...] = ()
    rows: tuple[tuple[Node, ...], ...] = ()


NONE = Node("text", "none")


def key_words(key: object) -> Node:
    """A key in words ("rows_scanned" -> "Rows scanned"); a setting's name stays code."""
    text = str(key)
    if _WORDY_KEY.fullmatch(text):
        return Node("text", text.replace("_", " ").capitalize())
    if _SETTING.fullmatch(text):
        return Node("code", text)
    return _scalar(text)  # a name used as a key ("analytics.daily"): code when an identifier


def _moment(text: str) -> Node | None:
    if not _ISO.fullmatch(text):
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return Node("time", f"{day.day} {day:%B %Y}", machine=text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return Node("time", f"{moment.day} {moment:%B %Y, %H:%M} UTC", machine=text)


def _scalar(value: object) -> Node:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return Node("text", "yes" if value else "no")
    if isinstance(value, int | float):
        return Node("text", str(value))
    text = str(value)
    if not text:
        return Node("text", "—")
    when = _moment(text)
    if when is not None:
        return when
    if text and not any(c.isspace() for c in text) and re.search(r"[_.:/\d]", text):
        return Node("code", text)  # an identifier: a table, column, id, hash or job name
    return Node("text", text)


def evidence_node(value: Any) -> Node:
    """`value` (a check's evidence, or a part of it) as a node to render."""
    if isinstance(value, dict):
        if not value:
            return NONE
        pairs = tuple((key_words(k), evidence_node(v)) for k, v in value.items())
        return Node("pairs", pairs=pairs)
    if isinstance(value, list | tuple):
        if not value:
            return NONE
        if all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            return Node(
                "table",
                headers=tuple(key_words(k) for k in columns),
                rows=tuple(tuple(evidence_node(v.get(k)) for k in columns) for v in value),
            )
        return Node("list", items=tuple(evidence_node(v) for v in value))
    return _scalar(value)
