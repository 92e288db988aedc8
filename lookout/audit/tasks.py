"""Background work of the audit log, enqueued by the scheduler (lookout.core.scheduler)."""

from __future__ import annotations

from django.tasks import task

from lookout.audit.checkpoints import write_checkpoint


@task()
def write_checkpoint_task() -> dict[str, int]:
    """Sign every chain's head into a new checkpoint file (decision 0035). Run often: entries
    cut off the end of a lane since the newest checkpoint are the one tampering `verify` cannot
    see, so the interval bounds that window. Returns each chain's checkpointed place."""
    written = write_checkpoint()
    return {head.chain: head.place for head in written.heads}
