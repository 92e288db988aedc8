"""Background work of the vault, run by the task worker."""

from __future__ import annotations

from django.tasks import task

from lookout.vault.master import master_cache
from lookout.vault.models import DataKey
from lookout.vault.rotation import rewrap_all


def _rewrap_and_record() -> int:
    from lookout.audit.services import record

    count = rewrap_all()
    record(actor=None, action="keys.rewrapped", detail={"data_keys": count})
    return count


@task()
def rewrap_data_keys() -> int:
    """Re-wrap every data key under the current primary master key (after a rotation).

    Safe to run again and to retry after its worker died: it continues with the keys still under
    an old master key, batch by batch (`rotation.rewrap_all`), and records what this run did."""
    return _rewrap_and_record()


@task()
def rewrap_pending_keys() -> int:
    """The scheduler's safety net under `lookout keys rotate`: if any data key is still wrapped
    by an old master key (the re-wrap task was lost with its queue, or failed every retry while
    a database was away), finish the re-wrap; else do nothing and record nothing."""
    _, _, keys = master_cache.get()
    if not DataKey.objects.exclude(master_key_id=keys.primary_wrap_key_id).exists():
        return 0
    return _rewrap_and_record()
