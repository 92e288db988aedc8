"""Email notices that a message waits (issue 23, item 6).

The email names no order, no product and no word of the message: only that something waits
and where to go. A mailbox is read by more eyes and kept longer than the store's pages, so
what it holds must tell nobody anything about the person beyond "has an account here" (or "has
ordered here", for a guest, whose link still needs the order number). The address is read
through the gate for an account notice (audited) and never logged: a failed send is logged
with the pseudonymous subject only. (A visitor's code and link emails are in `visitors`.)
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from lookout.access import reveal
from lookout.accounts.models import User
from lookout.core.purposes import Purpose
from lookout.support.models import NoticeChoice

logger = logging.getLogger(__name__)

NOTICE_SUBJECT = "A new message waits for you at Lookout"
NOTICE_BODY = (
    "Hello,\n\n"
    "a new message waits for you in your Lookout inbox. For your privacy this email does not "
    "say what it is about.\n\n"
    "Sign in to read it:\n{link}\n\n"
    "You get this email because you asked for it in your account centre; you can turn it off "
    "there.\n"
)


def wants_email(subject: uuid.UUID) -> bool:
    return NoticeChoice.objects.filter(subject=subject, email_on_message=True).exists()


def sign_in_link() -> str:
    site = str(getattr(settings, "LOOKOUT_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{site}{reverse('accounts:login')}?next={reverse('inbox:inbox')}"


def announce(subject: uuid.UUID) -> None:
    """The inbox's listener, run after the message's transaction committed."""
    message_waits(subject=subject)


def message_waits(*, subject: uuid.UUID) -> bool:
    """Email the account holder that a message waits, if they chose to be told. Returns whether
    an email was handed to the mail server. Never raises for a mail failure: the message is in
    the inbox either way, and the person sees it on their next visit."""
    if not wants_email(subject):
        return False
    user = User.objects.filter(subject=subject, is_active=True).first()
    if user is None:
        return False
    address = reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not address:
        return False
    try:
        send_mail(
            subject=NOTICE_SUBJECT,
            message=NOTICE_BODY.format(link=sign_in_link()),
            from_email=None,
            recipient_list=[address],
        )
    except Exception:  # the mail server is down or refused: the inbox still has the message
        logger.warning("message notice email failed for subject %s", subject, exc_info=True)
        return False
    logger.info("message notice email sent for subject %s", subject)
    return True


GUEST_SUBJECT = "An answer waits for you at Lookout"
GUEST_BODY = (
    "Hello,\n\n"
    "our customer service answered your question about your order. For your privacy this email "
    "does not say what it is about.\n\n"
    "Open it here, then type your order number (it is in the email we sent when you "
    "ordered):\n{link}\n"
)


def guest_answer_waits(*, order: Any) -> bool:
    """Email a guest buyer (at the address they gave at checkout) that an answer waits, with
    the link to their conversations; the order number stays the second factor, so the email
    alone opens nothing. Never raises for a mail failure."""
    from lookout.orders.guest import guest_token

    delivery = getattr(order, "delivery", None)
    if delivery is None or delivery.email is None:
        return False
    address = reveal(delivery, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not address:
        return False
    site = str(getattr(settings, "LOOKOUT_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    link = site + reverse("support:guest", args=[guest_token(order=order)])
    try:
        send_mail(
            subject=GUEST_SUBJECT,
            message=GUEST_BODY.format(link=link),
            from_email=None,
            recipient_list=[address],
        )
    except Exception:
        logger.warning("guest answer email failed for subject %s", order.subject, exc_info=True)
        return False
    return True
