"""What a person reads on a page, and the machine output that should not be in it (issue 22).

`reads_as_machine(html)` lists the ISO dates (2026-12-07), raw codes (`privacy_officer`,
`in_progress`) and dotted model paths (`accounts.User.email`) in the text a reader sees: tags,
attribute values (a `<time datetime>` keeps its machine date there), scripts, styles and
`<code>` (ids shown on purpose as code) left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b")
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# "app.Model.field", as the audit log and the incident radius name a field
MODEL_PATH = re.compile(r"\b[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9]*\.[a-z][a-z0-9_]*\b")

_SKIPPED = {"script", "style", "code", "template"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        if tag not in _VOID:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The text of `html` as a reader sees it, one space between elements."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def reads_as_machine(html: str) -> list[str]:
    """The ISO dates, raw codes and model paths left in the readable text of `html` (empty
    when none)."""
    text = page_text(html)
    return ISO_DATE.findall(text) + MODEL_PATH.findall(text) + RAW_CODE.findall(text)
