"""Visitors who ask about a product before buying, without an account (issue 23, item 2).

They prove control of an email with a one-time code (6 digits, 15 minutes, used once, 5 tries,
kept only as a keyed digest), then follow their conversation through a signed link the store
shows them and emails them. Every code request is counted per address and per network, every
typed code against the network's budget of guesses (accounts.throttle), and the answer to a
code request is the same whatever the address: nothing tells whether it is known.

The email is sealed under a data key of the visitor's own; an unproved visitor's row is deleted
a day later (retention), and with it the only use of that key, which the unused-key rule then
destroys. The emails say only what the person must know (the code; that an answer waits), never
the product or a word of the question.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lookout.access import reveal
from lookout.accounts.throttle import Bucket, count, throttle_key_for_ip
from lookout.core.errors import LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.support.models import Conversation, Topic, Visitor, VisitorRequestCode
from lookout.vault.blind_index import email_index, normalise_email
from lookout.vault.crypto import new_subject
from lookout.vault.models import DataKey

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_MINUTES = 15
MAX_ATTEMPTS = 5
LINK_SALT = "lookout.support.visitor-link"
LINK_DAYS = 2 * 365  # as long as the conversation may be kept
WRONG_CODE = "That code is wrong or no longer works. Ask for a new one."
EMAIL_MAX = 254


class NotVerified(LookoutError):
    status_code = 400


def _hash(visitor_id: uuid.UUID, code: str) -> str:
    return salted_hmac(
        "lookout.support.visitor-code", f"{visitor_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _clean_email(email: str) -> str:
    text = (email or "").strip()
    if not text or len(text) > EMAIL_MAX or "@" not in text or " " in text:
        raise NotVerified("Please give a valid email address.")
    return text


def start(*, email: str, ip: str) -> Visitor:
    """Count the request (per address and per network), make the visitor and email the code."""
    address = _clean_email(email)
    limit = int(getattr(settings, "LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT", 5))
    count(
        buckets=[
            Bucket("support-code-email", normalise_email(address), limit),
            Bucket("support-code-ip", throttle_key_for_ip(ip), limit * 4),
        ],
        what="code requests",
    )
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    subject = new_subject(kind=DataKey.Kind.GUEST)
    visitor = Visitor(
        subject=subject,
        email_index=email_index(address),
        expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
    )
    visitor.email = address  # type: ignore[assignment]
    visitor.code_hash = _hash(visitor.id, code)
    visitor.save(force_insert=True)
    send_mail(
        subject="Your Lookout code",
        message=(
            f"Your code is {code}. It works once, for {CODE_MINUTES} minutes.\n\n"
            "Someone asked to write to Lookout's customer service from this address. If that "
            "was not you, ignore this email: nothing happens without the code.\n"
        ),
        from_email=None,
        recipient_list=[address],
    )
    return visitor


def verify(*, visitor_id: uuid.UUID | None, code: str) -> Visitor:
    """The visitor whose code this is, marked proved; `NotVerified` for every failure alike.
    The row is locked, so two tries at once cannot both use the last attempt or the code."""
    with transaction.atomic():
        visitor = (
            Visitor.objects.select_for_update().filter(pk=visitor_id).first()
            if visitor_id
            else None
        )
        usable = (
            visitor is not None
            and visitor.verified_at is None
            and visitor.expires_at > timezone.now()
            and visitor.attempts < MAX_ATTEMPTS
        )
        if visitor is None or not usable:
            raise NotVerified(WRONG_CODE)
        if not hmac.compare_digest(visitor.code_hash, _hash(visitor.id, (code or "").strip())):
            Visitor.objects.filter(pk=visitor.pk).update(attempts=visitor.attempts + 1)
            good = False
        else:
            visitor.verified_at = timezone.now()
            Visitor.objects.filter(pk=visitor.pk).update(verified_at=visitor.verified_at)
            good = True
    if not good:
        raise NotVerified(WRONG_CODE)
    return visitor


def follow_token(conversation: Conversation) -> str:
    return signing.dumps(str(conversation.pk), salt=LINK_SALT, compress=False)


def follow_path(conversation: Conversation) -> str:
    return reverse("support:visitor_conversation", args=[follow_token(conversation)])


def conversation_for_token(token: str) -> Conversation:
    try:
        conversation_id = signing.loads(token, salt=LINK_SALT, max_age=LINK_DAYS * 86400)
        conversation = (
            Conversation.objects.select_related("product", "visitor")
            .filter(pk=uuid.UUID(str(conversation_id)), visitor__isnull=False)
            .first()
        )
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound("We could not find a conversation for that link.") from exc
    if conversation is None:
        raise NotFound("We could not find a conversation for that link.")
    return conversation


def _site() -> str:
    return str(getattr(settings, "LOOKOUT_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def email_visitor(*, conversation: Conversation, answered: bool) -> bool:
    """Tell the visitor where to follow their conversation: a link, nothing else. Never raises
    for a mail failure (logged with the pseudonymous subject only)."""
    visitor = conversation.visitor
    if visitor is None:
        return False
    address = reveal(visitor, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not address:
        return False
    first = (
        "An answer from Lookout's customer service waits for you."
        if answered
        else "Your question is with Lookout's customer service."
    )
    try:
        send_mail(
            subject="An answer waits for you at Lookout"
            if answered
            else "Your question is with us",
            message=f"{first} Read and answer it here:\n{_site()}{follow_path(conversation)}\n",
            from_email=None,
            recipient_list=[address],
        )
    except Exception:
        logger.warning("visitor email failed for subject %s", conversation.subject, exc_info=True)
        return False
    return True


def open_for_visitor(
    *, visitor: Visitor, product: object, body: str, publish_ok: bool = False
) -> Conversation:
    from lookout.support.services import open_conversation

    conversation = open_conversation(
        subject=visitor.subject,
        topic=Topic.PRODUCT,
        body=body,
        product=product,
        publish_ok=publish_ok,
    )
    Conversation.objects.filter(pk=conversation.pk).update(visitor=visitor)
    conversation.refresh_from_db()
    return conversation


# --- a visitor's own privacy requests, from their conversation (issue 23, item 3; C6.1, C6.6) --

REQUEST_KINDS = {"access": "see", "deletion": "delete"}
REQUEST_LINK_SALT = "lookout.support.visitor-request"


def start_request_code(*, conversation: Conversation, kind: str, ip: str) -> VisitorRequestCode:
    """Email a one-time code to the visitor's proved address before a request is made: the
    same check a guest passes (a code to the email on record, C6.1), so a copied conversation
    link alone cannot see or erase anyone's data. Counted per address and per network."""
    if kind not in REQUEST_KINDS:
        raise NotVerified("Choose whether you want to see or delete your data.")
    visitor = conversation.visitor
    if visitor is None or visitor.verified_at is None:
        raise NotFound("We could not find a conversation for that link.")
    limit = int(getattr(settings, "LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT", 5))
    count(
        buckets=[
            Bucket("support-request-code", str(visitor.subject), limit),
            Bucket("support-code-ip", throttle_key_for_ip(ip), limit * 4),
        ],
        what="code requests",
    )
    address = reveal(visitor, ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=None)["email"]
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    challenge = VisitorRequestCode(
        visitor=visitor,
        conversation=conversation,
        kind=kind,
        expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
    )
    challenge.code_hash = _hash(challenge.id, code)
    challenge.save(force_insert=True)
    if address:
        send_mail(
            subject="Your Lookout privacy request code",
            message=(
                f"Your code is {code}. It works once, for {CODE_MINUTES} minutes.\n\n"
                f"Someone asked to {REQUEST_KINDS[kind]} the data Lookout holds about this "
                "address, from a customer-service conversation. If that was not you, ignore "
                "this email: nothing happens without the code.\n"
            ),
            from_email=None,
            recipient_list=[address],
        )
    return challenge


def verify_request_code(
    *, challenge_id: uuid.UUID | None, code: str, conversation: Conversation
) -> VisitorRequestCode:
    """The challenge, marked used, if `code` is its code and it belongs to this conversation;
    `NotVerified` for every failure alike. The row is locked, so two tries at once cannot both
    use the last attempt or the code."""
    with transaction.atomic():
        challenge = (
            VisitorRequestCode.objects.select_for_update()
            .select_related("visitor")
            .filter(pk=challenge_id, conversation=conversation)
            .first()
            if challenge_id
            else None
        )
        usable = (
            challenge is not None
            and challenge.used_at is None
            and challenge.expires_at > timezone.now()
            and challenge.attempts < MAX_ATTEMPTS
        )
        if challenge is None or not usable:
            raise NotVerified(WRONG_CODE)
        good = hmac.compare_digest(challenge.code_hash, _hash(challenge.id, (code or "").strip()))
        if good:
            challenge.used_at = timezone.now()
            VisitorRequestCode.objects.filter(pk=challenge.pk).update(used_at=challenge.used_at)
        else:
            VisitorRequestCode.objects.filter(pk=challenge.pk).update(
                attempts=challenge.attempts + 1
            )
    if not good:
        raise NotVerified(WRONG_CODE)
    return challenge


def request_token(request_id: uuid.UUID) -> str:
    """The signed link a visitor follows their request with (it outlives the conversation: an
    erased visitor's request page still says what was done)."""
    return signing.dumps(str(request_id), salt=REQUEST_LINK_SALT, compress=False)


def request_id_for_token(token: str) -> uuid.UUID:
    try:
        value = signing.loads(token, salt=REQUEST_LINK_SALT, max_age=LINK_DAYS * 86400)
        return uuid.UUID(str(value))
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound("We could not find a request for that link.") from exc
