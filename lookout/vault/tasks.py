"""Background work of the vault, run by the task worker."""

from __future__ import annotations

from django.tasks import task

from lookout.vault.rotation import rewrap_all


@task()
def rewrap_data_keys() -> int:
    """Re-wrap every data key under the current primary master key (after a rotation)."""
    from lookout.audit.services import record

    count = rewrap_all()
    record(actor=None, action="keys.rewrapped", detail={"data_keys": count})
    return count
