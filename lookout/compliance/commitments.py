"""The store's commitments, read from the project's own machine-readable copy.

`commitments.json` beside this module is the copy of the commitments list (the privacy policy
broken into atomic promises, C1.1 … C8.4). The product and its tests read only this copy, never
the specification it was taken from. Deliberately free of Django imports: the pytest plugin
loads it before Django is configured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COMMITMENTS_FILE = Path(__file__).with_name("commitments.json")
ENFORCING_FILE = Path(__file__).with_name("enforcing.json")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Commitment:
    id: str
    section: str
    title: str
    must_hold: str


@cache
def load_commitments() -> tuple[Commitment, ...]:
    """Every commitment in policy order (C1.1 first)."""
    data = json.loads(COMMITMENTS_FILE.read_text(encoding="utf-8"))
    return tuple(Commitment(**entry) for entry in data["commitments"])


def known_ids() -> frozenset[str]:
    return frozenset(c.id for c in load_commitments())


def unknown_ids(ids: object) -> list[str]:
    """The IDs in `ids` that name no commitment (used to reject a mistyped marker)."""
    known = known_ids()
    return [str(i) for i in ids if not isinstance(i, str) or i not in known]  # type: ignore[attr-defined]


@cache
def enforcing() -> dict[str, tuple[str, ...]]:
    """For each commitment ID, the modules (paths from the repository root) that enforce it.

    Kept by hand in `enforcing.json`; a test checks that every commitment has an entry and that
    every path exists, so the map cannot silently point at code that moved.
    """
    data = json.loads(ENFORCING_FILE.read_text(encoding="utf-8"))
    return {cid: tuple(paths) for cid, paths in data["enforcing"].items()}
