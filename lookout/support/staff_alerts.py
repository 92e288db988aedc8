"""Emails to staff when a conversation waits in their role's queue or is overdue (issue 23,
item 2; C1.9).

Staff choose it themselves on their conversation queue (off until chosen). The email says only
that a conversation waits (or is past its first-answer due day) in the role's queue, with the
link to it in the back office, which asks for sign-in and the second factor: nothing of the
person, the order, the product or a word of the message (the same rule as the customers'
notices in `notices`). Addresses are read through the gate for an account notice (audited)
and never logged.

One email per conversation per event, whatever runs twice: a `StaffAlert` row (unique per
conversation and event) is claimed before the mail is sent, and given back if the mail server
refused, so the next run tries again. "Waiting" is sent when a conversation is opened or
handed over to a role (after its transaction commits); "overdue" by the periodic task
`support.alert_overdue` (lookout/support/schedule.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.core.purposes import Purpose
from lookout.support.models import Conversation, StaffAlert, StaffNoticeChoice

logger = logging.getLogger(__name__)

WAITING = "waiting"
OVERDUE = "overdue"
SUBJECTS = {
    WAITING: "A customer conversation waits in your queue",
    OVERDUE: "A customer conversation is overdue for a first answer",
}
BODY = (
    "Hello,\n\n"
    "{what} in the {role} queue at Lookout. For the customer's privacy this email does not say "
    "who asked or what about.\n\n"
    "Open it in the back office (sign-in and second factor needed):\n{link}\n\n"
    "You get this email because you asked for it on your conversation queue; you can turn it "
    "off there.\n"
)
WHAT = {
    WAITING: "A customer conversation waits for an answer",
    OVERDUE: "A customer conversation is past its first-answer due day",
}


def wants_email(user: Any) -> bool:
    return StaffNoticeChoice.objects.filter(user=user, email_on_waiting=True).exists()


def set_choice(*, user: Any, email_on_waiting: bool) -> StaffNoticeChoice:
    choice, _ = StaffNoticeChoice.objects.update_or_create(
        user=user, defaults={"email_on_waiting": email_on_waiting, "changed_at": timezone.now()}
    )
    return choice


def recipients(role: str) -> list[User]:
    """Active staff of `role` who chose the email."""
    return list(
        User.objects.filter(
            role=role,
            is_active=True,
            closed_at__isnull=True,
            pk__in=StaffNoticeChoice.objects.filter(email_on_waiting=True).values("user"),
        ).order_by("pk")
    )


def _link(conversation: Conversation) -> str:
    site = str(getattr(settings, "LOOKOUT_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return site + reverse("support:staff_conversation", args=[conversation.pk])


def _claim(conversation: Conversation, event: str) -> StaffAlert | None:
    try:
        with transaction.atomic():
            return StaffAlert.objects.create(conversation=conversation, event=event)
    except IntegrityError:
        return None  # already sent (or being sent) for this event


def alert(*, conversation: Conversation, kind: str) -> int:
    """Email the opted-in staff of the conversation's role, once for this event. Returns how
    many emails went out (0 when already sent, or nobody chose it)."""
    role = conversation.role
    event = f"{kind}:{role}"
    people = recipients(role)
    if not people:
        return 0
    claimed = _claim(conversation, event)
    if claimed is None:
        return 0
    label = Role(role).label if role in Role.values else role
    message = BODY.format(what=WHAT[kind], role=label.lower(), link=_link(conversation))
    sent = 0
    for person in people:
        address = reveal(person, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
        if not address:
            continue
        try:
            send_mail(
                subject=SUBJECTS[kind],
                message=message,
                from_email=None,
                recipient_list=[address],
            )
        except Exception:
            logger.warning(
                "staff alert email failed for conversation %s", conversation.pk, exc_info=True
            )
            continue
        sent += 1
    if sent == 0:
        # The mail server refused every one: give the event back, the next run tries again.
        StaffAlert.objects.filter(pk=claimed.pk).delete()
        return 0
    StaffAlert.objects.filter(pk=claimed.pk).update(recipients=sent)
    logger.info("staff alert %s sent for conversation %s (%d)", kind, conversation.pk, sent)
    return sent


def alert_waiting_after_commit(conversation_id: Any) -> None:
    """Queue the "waiting" email as a task once the conversation's transaction commits: a
    rolled-back opening mails nobody, and a slow mail server never holds the customer's page."""
    from lookout.support.tasks import alert_waiting

    value = str(conversation_id)
    transaction.on_commit(lambda: alert_waiting.enqueue(value), robust=True)


def alert_overdue() -> dict[str, int]:
    """The periodic run: every overdue conversation's role is told once."""
    from lookout.support.selectors import overdue

    counts = {"overdue": 0, "emails": 0}
    for conversation in overdue().order_by("first_reply_due", "opened_at")[:500]:
        counts["overdue"] += 1
        counts["emails"] += alert(conversation=conversation, kind=OVERDUE)
    return counts
