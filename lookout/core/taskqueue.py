"""The RQ queue class Lookout's Redis deployments use: every job gets RQ's own Retry.

django-tasks-rq creates its jobs without a `retry`, so a job whose worker died mid-run (RQ's
started-job registry cleanup finds it, `AbandonedJobError`) or that raised went straight to the
failed registry: the operator's fault run lost a key re-wrap that way. Every Lookout task is
idempotent and resumable, so running one again is always safe; RQ re-queues a job that has
retries left, at once (no interval, so no RQ scheduler process is needed for it). Configured as
`RQ_QUEUES[...]["QUEUE_CLASS"]` in settings, with `DEFAULT_TIMEOUT` (`LOOKOUT_TASK_TIMEOUT`)
instead of RQ's 180 s, which a retention run on a large store can exceed. Decision 0030.
"""

from __future__ import annotations

from typing import Any

from django_rq.queues import DjangoRQ
from rq import Retry

RETRIES = 3  # runs after the first: a dead worker, a timeout or an error, each time


class RetryingQueue(DjangoRQ):
    def create_job(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("retry") is None:
            kwargs["retry"] = Retry(max=RETRIES)
        return super().create_job(*args, **kwargs)
