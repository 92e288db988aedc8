"""Retention of data keys that no record uses (issue 27: an order exists only with its key).

A person's data key commits in the key store before anything sealed under it commits in the main
database (vault.crypto.new_subject), so a crash between the two leaves at worst a key that opens
nothing. Such keys also come from a repeated checkout submit that found its order, or a sign-up
that lost a race for its email. A key is unused when no row of the main database names its
person; this rule destroys those a day after they were made, when nothing can still be about to
use them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models

from lookout.retention.registry import Rule
from lookout.vault.crypto import destroy_data_keys
from lookout.vault.models import DataKey
from lookout.vault.personal_data import UNUSED_KEY_RETENTION
from lookout.vault.routers import KEYSTORE


def _naming_models() -> list[type[models.Model]]:
    """Every model of the main database with a `subject` column: the rows that name a person
    (found from the models, so a new app's records count without being listed here)."""
    found = []
    for model in apps.get_models():
        if model is DataKey or model._meta.app_label == "vault":
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "subject"), None)
        if isinstance(field, models.UUIDField):
            found.append(model)
    return found


def _old_keys(cutoff: datetime) -> models.QuerySet[DataKey]:
    return DataKey.objects.using(KEYSTORE).filter(created_at__lt=cutoff)


def _batch(cutoff: datetime, cursor: str, limit: int) -> list[Any]:
    """Keys made before the cutoff, in subject order, used or not: `_apply` keeps the used ones
    (a batch of only used keys must not look like the end of the run)."""
    keys = _old_keys(cutoff)
    if cursor:
        keys = keys.filter(subject__gt=uuid.UUID(cursor))
    return list(keys.order_by("subject").values_list("subject", flat=True)[:limit])


def _apply(keys: list[Any], now: datetime) -> int:
    unused = set(keys)
    for model in _naming_models():
        if not unused:
            break
        named = model._default_manager.filter(subject__in=list(unused)).values_list(
            "subject", flat=True
        )
        unused -= set(named)
    return destroy_data_keys(subjects=unused) if unused else 0


def _count(cutoff: datetime) -> int:
    """Keys old enough to be checked (the plan shows what the run will look at)."""
    return _old_keys(cutoff).count()


RULES = [
    Rule(
        name="vault.unused_keys",
        retention=UNUSED_KEY_RETENTION,
        does="destroys data keys made before the cutoff that no record of the main database uses",
        batch=_batch,
        apply=_apply,
        count=_count,
    )
]
