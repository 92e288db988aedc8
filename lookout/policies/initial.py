"""The first version of each document, shipped with the code (texts/<document>-v1.md).

They are loaded by a data migration, so every database (development, test, production) has the
three documents from its first `migrate`, and sign-up can always record what was accepted (C1.5).
The texts are never edited in place: a change is a new version, published like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TEXTS = Path(__file__).resolve().parent / "texts"
DOCUMENTS = ("privacy", "shipping", "refund")
# The day the store opened with these texts; fixed, so every database tells the same story.
LAUNCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)
FIRST_SUMMARY = "First version."


def initial_text(document: str) -> str:
    return (TEXTS / f"{document}-v1.md").read_text(encoding="utf-8").strip()


def ensure_initial_versions(*, model: Any = None) -> int:
    """Create version 1 of each document that has no version yet; returns how many were made.

    `model` is the historical model when called from a migration.
    """
    if model is None:
        from lookout.policies.models import PolicyVersion

        model = PolicyVersion
    made = 0
    for document in DOCUMENTS:
        if model.objects.filter(document=document).exists():
            continue
        model.objects.create(
            document=document,
            number=1,
            text=initial_text(document),
            summary=FIRST_SUMMARY,
            posted_at=LAUNCHED_AT,
            effective_at=LAUNCHED_AT,
            material=False,
        )
        made += 1
    return made
