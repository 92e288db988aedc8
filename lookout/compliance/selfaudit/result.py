"""The shape of one self-audit check's answer, shared by the checks and the runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

Check = TypeVar("Check", bound=Callable[..., "CheckResult"])


@dataclass(frozen=True)
class CheckResult:
    """One live check: which commitments it bears on, whether it passed, and the evidence.

    `evidence` holds counts, table and column names, ids and dates: never a personal value (a
    finding of plaintext names where it is, not what it is).
    """

    name: str
    commitments: tuple[str, ...]
    ok: bool
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    title: str = ""  # the check's title in words (`titled`), set by the runner

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "commitments": list(self.commitments),
            "ok": self.ok,
            "summary": self.summary,
            "evidence": self.evidence,
        }


def titled(title: str) -> Callable[[Check], Check]:
    """`@titled("No plaintext personal data at rest")` on a check: its title in words, as the
    self-audit page and the officers' inbox show it, kept where the check is defined."""

    def mark(check: Check) -> Check:
        check.title = title  # type: ignore[attr-defined]
        return check

    return mark


def title_of(check: Callable[..., CheckResult]) -> str:
    """The title a check was given with `titled` ("" when it has none)."""
    return str(getattr(check, "title", ""))
