"""The shape of one self-audit check's answer, shared by the checks and the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "commitments": list(self.commitments),
            "ok": self.ok,
            "summary": self.summary,
            "evidence": self.evidence,
        }
