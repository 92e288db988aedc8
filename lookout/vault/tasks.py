"""Background work of the vault, run by the task worker."""

from __future__ import annotations

from django.tasks import task

from lookout.vault.rotation import rewrap_all


@task()
def rewrap_data_keys() -> int:
    """Re-wrap every data key under the current primary master key (after a rotation).

    Safe to run again and to retry after its worker died: it continues with the keys still under
    an old master key, batch by batch (`rotation.rewrap_all`), and records what this run did."""
    from lookout.audit.services import record

    count = rewrap_all()
    record(actor=None, action="keys.rewrapped", detail={"data_keys": count})
    return count
