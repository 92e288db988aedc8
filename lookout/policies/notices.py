"""Notices of material policy changes to every registered customer's inbox (C8.4).

Sent in batches, each in its own transaction, so a large customer base never holds one long
transaction. Each notice carries the dedupe key `policy:<version id>:<subject>`: the inbox posts
a key at most once, so a run that was interrupted can simply be run again from the start and
every customer still gets exactly one notice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.policies.models import PolicyVersion


def batch_size() -> int:
    return int(getattr(settings, "LOOKOUT_POLICY_NOTICE_BATCH", 500))


def dedupe_key(*, version: PolicyVersion, subject: uuid.UUID) -> str:
    return f"policy:{version.id}:{subject}"


def notice_text(version: PolicyVersion) -> tuple[str, str]:
    day = f"{version.effective_at.day} {version.effective_at:%B %Y}"
    title = f"Our {version.title} changes on {day}"
    body = (
        f"We have posted version {version.number} of our {version.title}. "
        f"It takes effect on {day}.\n\n"
        f"What changes:\n{version.summary}\n\n"
        f"Read the new version and a comparison with the previous one at "
        f"/policies/{version.document}/v{version.number}/changes/\n\n"
        f"If you keep using Lookout from {day}, you accept the new version. If you do not agree, "
        "you can close your account or ask us to delete your data from your privacy centre "
        "before then."
    )
    return title, body


def send_notice(*, version: PolicyVersion, subject: uuid.UUID) -> Message | None:
    title, body = notice_text(version)
    return send_message(
        subject=subject,
        kind=Message.Kind.POLICY_NOTICE,
        title=title,
        body=body,
        dedupe_key=dedupe_key(version=version, subject=subject),
    )


def _recipients(after: uuid.UUID | None, size: int) -> list[uuid.UUID]:
    """The next batch of registered customers (open accounts without a staff role)."""
    from lookout.accounts.models import User

    people = User.objects.filter(role="", is_active=True, closed_at__isnull=True)
    if after is not None:
        people = people.filter(subject__gt=after)
    return list(people.order_by("subject").values_list("subject", flat=True)[:size])


def send_all(*, version_id: uuid.UUID) -> int:
    """Send the notice of one material version to everyone; returns how many were new."""
    version = PolicyVersion.objects.get(pk=version_id)
    if not version.material:
        return 0
    sent, after, size = 0, None, batch_size()
    while True:
        batch = _recipients(after, size)
        if not batch:
            break
        with transaction.atomic():
            for subject in batch:
                if send_notice(version=version, subject=subject) is not None:
                    sent += 1
        after = batch[-1]
    PolicyVersion.objects.filter(pk=version.pk, notices_completed_at__isnull=True).update(
        notices_completed_at=timezone.now()
    )
    return sent
