"""Email notices that a message waits (issue 23, item 6): the only mail this app sends.

The email names no order, no product and no word of the message: only that something waits
and where to sign in. A mailbox is read by more eyes and kept longer than the store's pages, so
what it holds must tell nobody anything about the person beyond "has an account here". The
address is read through the gate for an account notice (audited) and never logged: a failed
send is logged with the pseudonymous subject only.
"""

from __future__ import annotations

import logging
import uuid

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
