"""Background work of the policies app, run by the task worker (Django Tasks API)."""

from __future__ import annotations

import uuid

from django.tasks import task

from lookout.policies import notices


@task()
def send_policy_notices(version_id: str) -> int:
    """Notify every registered customer of a material change. Safe to run again after an
    interruption: each customer gets the notice exactly once (see `notices`)."""
    return notices.send_all(version_id=uuid.UUID(version_id))
