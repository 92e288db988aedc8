"""Writes on the inbox. Other apps post messages only through `send_message`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.core.rows import insert
from lookout.inbox.models import Message

TITLE_MAX = 200
BODY_MAX = 20_000


class InvalidMessage(LookoutError):
    """A sender asked for a message the inbox cannot hold (a bug in the sender, not the person)."""


# Told, once the posting transaction commits, that a message waits for a person (the support
# app's email notice registers here): the subject only, never the words, and never inside the
# sender's transaction, so a slow mail server cannot hold a checkout.
_listeners: list[Callable[[uuid.UUID], object]] = []


def on_message_posted(listener: Callable[[uuid.UUID], object]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(subject: uuid.UUID) -> None:
    for listener in _listeners:
        transaction.on_commit(partial(listener, subject), robust=True)


def send_message(
    *,
    subject: uuid.UUID,
    kind: str,
    title: str,
    body: str,
    dedupe_key: str | None = None,
    new_key: bool = False,
    announce: bool = True,
) -> Message | None:
    """Post a message to the person's inbox, sealed under their data key.

    With a `dedupe_key`, the message is posted at most once: a second call with the same key
    (a retried task, a resumed batch, two workers racing) returns None and posts nothing. The
    unique index decides, so the guarantee holds across processes, not only within this one.

    `new_key=True`: the caller knows no message can have this key yet (what it announces was
    created in the same, uncommitted transaction, e.g. a new order), so there is no savepoint to
    fall back to: a duplicate would still be refused by the index, failing the caller's
    transaction instead of returning None. Saves two round trips on every checkout.

    `announce=False`: nobody can have asked to be told of messages to this subject (a guest's
    key created for the order this message is about; only account holders choose notices), so
    the listeners (support's email notice) are not run: saves their read on every guest
    checkout.
    """
    if kind not in Message.Kind.values:
        raise InvalidMessage(f"Unknown message kind {kind!r}.")
    title, body = title.strip(), body.strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidMessage(f"A message title must have 1 to {TITLE_MAX} characters.")
    if not body or len(body) > BODY_MAX:
        raise InvalidMessage(f"A message body must have 1 to {BODY_MAX} characters.")
    # No look before the insert: the unique index answers in the same round trip, and a repeat
    # is the rare case (every order status change posts a message).
    message = Message(subject=subject, kind=kind, title=title, body=body, dedupe_key=dedupe_key)
    if new_key or dedupe_key is None:
        # Nothing to fall back to: a failure is the caller's. Sealed by the fields' pre_save, as
        # save() would, without the ORM's compile step (core.rows).
        posted = insert(message)
        if announce:
            _announce(subject)
        return posted
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if dedupe_key is not None and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # another worker posted it between our check and our insert
        raise
    _announce(subject)
    return message


def mark_read(*, message: Message) -> Message:
    """The first reading counts; reading again keeps the first time."""
    if message.read_at is None:
        now = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
    return message
