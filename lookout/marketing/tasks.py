"""Background work of marketing, run by the task worker."""

from __future__ import annotations

import uuid

from django.tasks import task

from lookout.marketing.services import deliver_all


@task()
def deliver_promotion(promotion_id: str) -> int:
    """Deliver a promotion to the inboxes of everyone opted in now; safe to run again."""
    return deliver_all(promotion_id=uuid.UUID(promotion_id))
