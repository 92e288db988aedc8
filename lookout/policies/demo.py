"""Demo data for policies: the three first versions (normally already there from `migrate`)."""

from __future__ import annotations

from collections.abc import Callable

from lookout.policies.initial import ensure_initial_versions


def load(*, progress: Callable[[str], None]) -> None:
    made = ensure_initial_versions()
    progress(f"policies: {made} first version(s) created, 3 documents in place")
