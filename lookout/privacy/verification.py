"""Identity first (C6.1): no request is acted on before its requester is verified.

A signed-in person re-enters their password (a stolen, unattended session is not enough to
download or erase an account). A guest names an order number and its email; if both match an
order, a one-time code goes to that email, and only the code proves control of it. The form's
answer is the same whether or not anything matched: a `GuestChallenge` is made either way, and a
challenge without an order fails every code with the same message as a wrong code.

Codes: 6 random digits, valid `CODE_MINUTES`, usable once, `MAX_ATTEMPTS` tries, kept only as an
HMAC keyed with the site secret (a copy of the table does not give the codes away).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lookout.access import reveal
from lookout.accounts import throttle
from lookout.audit.services import record
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.privacy.models import GuestChallenge, Kind
from lookout.vault.blind_index import email_index

if TYPE_CHECKING:
    from lookout.accounts.models import User

CODE_MINUTES = 15
GUEST_SESSION_KEY = "lookout_privacy_guest"  # {"subject", "order", "at"}: ids only
GUEST_SESSION_MINUTES = 60
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
WRONG_CODE = (
    "That code is not valid. Check the latest email we sent, or start again to get a new code."
)
WRONG_PASSWORD = "That password is not right. Please try again."  # noqa: S105 (a message)


class NotVerified(LookoutError):
    """Verification failed; the message never says whether an order or email exists."""

    status_code = 400


@dataclass(frozen=True)
class GuestIdentity:
    """A verified guest: the person behind one order, known only by pseudonymous ids."""

    subject: uuid.UUID
    order_ref: uuid.UUID
    kind: str


def reauthenticate(*, user: User, password: str, ip: str = "") -> None:
    """Refuse unless `password` is the signed-in person's own (C6.1). The check goes through
    the attempt limiter (`throttle.reauth_buckets`: per account, shared with password change,
    and per client network `ip`), so a borrowed session cannot guess its way in."""
    from lookout.accounts.models import User

    def right() -> bool:
        candidate = User.objects.filter(pk=user.pk, closed_at__isnull=True, is_active=True).first()
        return bool(candidate is not None and password and candidate.check_password(password))

    # Past the limit this raises throttle.Throttled (a LookoutError answered 429).
    ok = throttle.guarded(
        buckets=throttle.reauth_buckets(user_subject=str(user.subject), ip=ip),
        check=right,
        what="password attempts",
    )
    if not ok:
        raise NotVerified(WRONG_PASSWORD)


def _hash(challenge_id: uuid.UUID, code: str) -> str:
    return salted_hmac(
        "lookout.privacy.guest-code", f"{challenge_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _find_order(*, email: str, number: str):  # type: ignore[no-untyped-def]
    from lookout.orders.models import Order

    number = (number or "").strip().upper()
    if not email or not number:
        return None
    return (
        Order.objects.filter(number=number, delivery__email_index=email_index(email))
        .select_related("delivery")
        .first()
    )


def start_guest_challenge(*, email: str, order_number: str, kind: str) -> GuestChallenge:
    """Make a challenge and, if the order and email match, email its code to that address.

    Always returns a challenge, so the caller's answer cannot depend on whether anything
    matched. The email address is read through the gate for the subject request (audited).
    """
    if kind not in Kind.values:
        raise NotVerified("Choose what you are asking for: see, correct or delete your data.")
    order = _find_order(email=email, number=order_number)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    challenge = GuestChallenge(
        kind=kind,
        order_ref=order.pk if order else None,
        subject=order.subject if order else None,
        expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
    )
    challenge.code_hash = _hash(challenge.id, code)
    with transaction.atomic():
        challenge.save(force_insert=True)
        if order is not None:
            record(
                actor=None,
                action="privacy.guest_code_sent",
                subject=order.subject,
                target=order,
                purpose=str(Purpose.SUBJECT_REQUEST),
            )
    if order is not None:
        address = reveal(order.delivery, ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=None)[
            "email"
        ]
        if address:
            send_mail(
                subject="Your Lookout privacy request code",
                message=(
                    f"Your code is {code}. It works once, for {CODE_MINUTES} minutes.\n\n"
                    f"Someone asked to {Kind(kind).label.lower()} for order {order.number}. "
                    "If that was not you, ignore this email: nothing happens without the code.\n"
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[address],
            )
    return challenge


def challenge_kind(*, challenge_id: uuid.UUID) -> str | None:
    """What the guest asked for (their own choice on the form; says nothing about any order)."""
    return GuestChallenge.objects.filter(pk=challenge_id).values_list("kind", flat=True).first()


def verify_guest_code(*, challenge_id: uuid.UUID, code: str) -> GuestIdentity:
    """The verified guest behind a challenge, or `NotVerified` (same message for every failure).

    The row is locked, so two tries at once cannot both use the last attempt or the code; a
    wrong try is counted in a transaction of its own, so raising cannot roll the count back.
    """
    with transaction.atomic():
        identity = _check_code(challenge_id=challenge_id, code=code)
    if identity is None:
        raise NotVerified(WRONG_CODE)
    return identity


def _check_code(*, challenge_id: uuid.UUID, code: str) -> GuestIdentity | None:
    challenge = GuestChallenge.objects.select_for_update().filter(pk=challenge_id).first()
    if challenge is None or challenge.used_at is not None:
        return None
    if challenge.expires_at <= timezone.now() or challenge.attempts >= MAX_ATTEMPTS:
        return None
    good = hmac.compare_digest(challenge.code_hash, _hash(challenge.id, (code or "").strip()))
    if not good or challenge.order_ref is None or challenge.subject is None:
        GuestChallenge.objects.filter(pk=challenge.pk).update(attempts=challenge.attempts + 1)
        return None
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    record(
        actor=None,
        action="privacy.guest_verified",
        subject=challenge.subject,
        target=f"orders.Order:{challenge.order_ref}",
    )
    return GuestIdentity(
        subject=challenge.subject, order_ref=challenge.order_ref, kind=challenge.kind
    )
