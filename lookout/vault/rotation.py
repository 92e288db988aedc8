"""Master key rotation without downtime (C4.2).

1. `rotate_master_key()` adds a new primary key to the master keyset. Old keys stay, so every data
   key still unwraps; new data keys are wrapped under the new primary at once.
2. `rewrap_all()` (run by the background task) re-wraps every data key under the new primary, in
   batches each committed on its own, resumably: a row already under the primary is skipped.
3. `retire_old_master_keys()` drops the old keys once no data key depends on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import router, transaction
from django.db.models import Count

from lookout.vault.crypto import rewrap
from lookout.vault.master import (
    key_source,
    master_cache,
    with_new_primary,
    without_keys,
)
from lookout.vault.models import DataKey

BATCH = 500


@dataclass(frozen=True)
class KeyStatus:
    primary_key_id: int
    master_key_ids: list[int]
    data_keys_by_master_key: dict[int, int]

    @property
    def pending(self) -> int:
        return sum(n for k, n in self.data_keys_by_master_key.items() if k != self.primary_key_id)


def status() -> KeyStatus:
    _, _, keys = master_cache.get()
    counts = dict(
        DataKey.objects.values_list("master_key_id").annotate(n=Count("subject")).order_by()
    )
    return KeyStatus(
        primary_key_id=keys.primary_wrap_key_id,
        master_key_ids=keys.wrap_key_ids(),
        data_keys_by_master_key={int(k): int(v) for k, v in counts.items()},
    )


def rotate_master_key() -> int:
    """Add a new primary master key; returns its id. Data keys are re-wrapped afterwards."""
    source = key_source()
    _, _, keys = master_cache.get()
    rotated = with_new_primary(keys)
    source.save(rotated)
    master_cache.clear()
    return rotated.primary_wrap_key_id


def rewrap_all(
    *, progress: Callable[[int, int], None] | None = None, batch_size: int = BATCH
) -> int:
    """Re-wrap every data key not yet under the primary. Returns how many were re-wrapped.

    Resumable, because a worker can die mid-run (the operator's fault run left 17,766 keys on
    the old master key): each batch is re-wrapped and committed in a transaction of its own, and
    each batch is chosen afresh among the keys still under another master key, so running it
    again after a crash, a kill or a retry re-wraps only what is left, losing at most the one
    uncommitted batch. The batch's rows are locked with SKIP LOCKED: two runs at once (a retry
    of a run whose worker only seemed gone) share the keys instead of re-wrapping them twice.
    """
    database = router.db_for_write(DataKey)
    total: int | None = None
    done = 0
    while True:
        _, _, keys = master_cache.get()
        todo = DataKey.objects.exclude(master_key_id=keys.primary_wrap_key_id)
        if total is None:
            total = todo.count()
        with transaction.atomic(using=database):
            batch = list(todo.select_for_update(skip_locked=True).order_by("subject")[:batch_size])
            moved = sum(rewrap(row) for row in batch)
        if not batch or not moved:  # nothing left, or only rows another run just re-wrapped
            break
        done += moved
        if progress is not None:
            progress(done, total)
    return done


def retire_old_master_keys() -> list[int]:
    """Remove master keys that wrap no data key any more; returns the removed ids."""
    current = status()
    in_use = {k for k, n in current.data_keys_by_master_key.items() if n}
    retired = {k for k in current.master_key_ids if k != current.primary_key_id and k not in in_use}
    if retired:
        _, _, keys = master_cache.get()
        key_source().save(without_keys(keys, retired))
        master_cache.clear()
    return sorted(retired)
