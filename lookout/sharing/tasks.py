"""Background work of sharing: redaction requests to partners after an erasure (issue 26)."""

from __future__ import annotations

from django.tasks import task

from lookout.sharing.redaction import send_due


@task()
def send_redactions() -> dict[str, int]:
    """Send the redaction requests that are due and ask partners about the pending ones.
    Queued when an erasure commits, and run by the scheduler every five minutes, which also
    makes the retries of failed attempts (`redaction.RETRY_WAITS`)."""
    return send_due()
