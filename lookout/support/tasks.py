"""Background work of customer service: staff alerts (lookout/support/staff_alerts.py)."""

from __future__ import annotations

from django.tasks import task

from lookout.support import staff_alerts
from lookout.support.models import Conversation


@task()
def alert_waiting(conversation_id: str) -> int:
    """A conversation opened or handed over: its role's opted-in staff are emailed, once."""
    found = Conversation.objects.filter(pk=conversation_id).first()
    if found is None:
        return 0
    return staff_alerts.alert(conversation=found, kind=staff_alerts.WAITING)


@task()
def alert_overdue() -> dict[str, int]:
    """Every 15 minutes (lookout/support/schedule.py): overdue conversations, once each."""
    return staff_alerts.alert_overdue()
