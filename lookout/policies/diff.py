"""A readable comparison of two versions of a policy (C8.1), built on difflib.

Lines are matched with `difflib.SequenceMatcher`; a changed line is compared word by word so the
reader sees exactly which words went and came. The result is plain data (rows of segments) that a
template renders with auto-escaping, side by side or inline: no HTML is built here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

CONTEXT_LINES = 3
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class Side:
    number: int | None
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class Row:
    kind: str  # "same", "removed", "added", "changed", "gap"
    left: Side = field(default_factory=lambda: Side(None))
    right: Side = field(default_factory=lambda: Side(None))


@dataclass(frozen=True)
class Comparison:
    rows: tuple[Row, ...]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _words(a: str, b: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    out_l: list[Segment] = []
    out_r: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            out_l.append(Segment("".join(left[i1:i2]), tag != "equal"))
        if j2 > j1:
            out_r.append(Segment("".join(right[j1:j2]), tag != "equal"))
    return tuple(out_l), tuple(out_r)


def _plain(text: str, changed: bool) -> tuple[Segment, ...]:
    return (Segment(text, changed),)


def _rows_for(
    tag: str, a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int
) -> Iterator[Row]:
    if tag == "equal":
        for k in range(i2 - i1):
            yield Row(
                "same",
                Side(i1 + k + 1, _plain(a[i1 + k], False)),
                Side(j1 + k + 1, _plain(b[j1 + k], False)),
            )
        return
    old, new = a[i1:i2], b[j1:j2]
    paired = min(len(old), len(new)) if tag == "replace" else 0
    for k in range(paired):
        left, right = _words(old[k], new[k])
        yield Row("changed", Side(i1 + k + 1, left), Side(j1 + k + 1, right))
    for k in range(paired, len(old)):
        yield Row("removed", left=Side(i1 + k + 1, _plain(old[k], True)))
    for k in range(paired, len(new)):
        yield Row("added", right=Side(j1 + k + 1, _plain(new[k], True)))


def compare(old: str, new: str, *, full: bool = False) -> Comparison:
    """Rows comparing `old` with `new`; unchanged stretches are folded to a few lines of context
    unless `full` is asked for."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    rows: list[Row] = []
    groups: list[list[Any]]
    groups = [matcher.get_opcodes()] if full else list(matcher.get_grouped_opcodes(CONTEXT_LINES))
    for index, group in enumerate(groups):
        if not full and (index > 0 or group[0][1] > 0):
            rows.append(Row("gap"))
        for opcode in group:
            rows.extend(_rows_for(opcode[0], a, b, *opcode[1:]))
    if not full and groups and groups[-1][-1][2] < len(a):
        rows.append(Row("gap"))
    return Comparison(rows=tuple(rows), added=added, removed=removed)
