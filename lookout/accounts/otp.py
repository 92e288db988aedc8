"""The staff second factor: TOTP (RFC 6238) with pyotp, secret sealed in `User.totp_secret`.

Every role can reveal some personal data, so every staff member passes this step after the
password (C4.7); the middleware holds them on /accounts/otp/ until they do. The secret is read
only through `lookout.access.reveal` with purpose ACCOUNT_SECURITY, so each read is audited.

A used code is never accepted twice: the newest accepted time step is kept on the person's row
(`User.totp_last_step`) and raised by one conditional UPDATE, so the guard holds across server
processes and cache flushes (it lived in the cache until issue 19, finding 11). Recovery codes
(ten, shown once at enrolment) stand in for a lost phone; each works once.
"""

from __future__ import annotations

import secrets

import pyotp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lookout.access.gate import reveal
from lookout.accounts.models import RecoveryCode, User
from lookout.audit.services import record
from lookout.core.purposes import Purpose
from lookout.vault.blind_index import blind_index

ISSUER = "Lookout"
# Codes from one step before or after are accepted: phone clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Crockford-like alphabet without look-alikes (no 0/O, 1/I/L); 10 characters = 50 bits.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECOVERY_LENGTH = 10


class NotStaff(Exception):
    """Only staff have a second factor."""


def needs_enrolment(*, user: User) -> bool:
    return user.totp_confirmed_at is None


@transaction.atomic
def start_enrolment(*, user: User) -> None:
    """Give the staff member a fresh secret unless one is waiting to be confirmed."""
    if not user.role:
        raise NotStaff("Customers have no second factor.")
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed_at = None
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])


def _secret(user: User) -> str:
    secret = reveal(user, ["totp_secret"], purpose=Purpose.ACCOUNT_SECURITY, actor=user)
    return secret["totp_secret"] or ""


def provisioning_uri(*, user: User, secret: str) -> str:
    """What the QR code holds: the otpauth URI an authenticator app reads, labelled with the
    role and the first 8 characters of the person's pseudonymous id, never their email."""
    label = f"{user.get_role_display()} {str(user.subject)[:8]}"
    return pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER)


def enrolment_details(*, user: User) -> dict[str, str]:
    """The secret (to type in) and its QR code as inline SVG: no request leaves the page.

    The app's label names the role and a short pseudonymous id, never the email.
    """
    secret = _secret(user)
    uri = provisioning_uri(user=user, secret=secret)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    # Group the secret in fours, as authenticator apps show it.
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "qr_svg": svg}


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used; False if it (or a later one) was used already.

    One conditional UPDATE: of two processes checking the same code at once, exactly one
    raises the step, the other updates nothing and is refused."""
    claimed = (
        User.objects.filter(pk=user.pk)
        .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
        .update(totp_last_step=step)
    )
    if claimed:
        user.totp_last_step = step
    return bool(claimed)


def verify_code(*, user: User, code: str) -> bool:
    """True when `code` is current and not used before (a replayed code is refused)."""
    if user.totp_secret is None:
        return False
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(_secret(user))
    now = timezone.now()
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        at = now.timestamp() + offset * totp.interval
        if totp.verify(code, for_time=int(at)):
            return _claim_step(user, int(at) // totp.interval)
    return False


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _recovery_digest(code: str) -> str:
    return blind_index(_normalise_recovery(code), domain="recovery-code")


def looks_like_recovery_code(code: str) -> bool:
    normal = _normalise_recovery(code)
    return len(normal) == _RECOVERY_LENGTH and not normal.isdigit()


@transaction.atomic
def new_recovery_codes(*, user: User) -> list[str]:
    """Replace the person's recovery codes with `RECOVERY_CODE_COUNT` new ones; the codes are
    returned to be shown once and only their keyed digests are stored."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(code)) for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def use_recovery_code(*, user: User, code: str) -> bool:
    """True when `code` is one of the person's unused recovery codes; it is used up at once
    (a conditional UPDATE, so two requests with the same code cannot both pass)."""
    if user.totp_confirmed_at is None or not looks_like_recovery_code(code):
        return False
    used = RecoveryCode.objects.filter(
        user=user, digest=_recovery_digest(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        record(
            actor=user,
            action="staff.recovery_code_used",
            subject=user.subject,
            target=user,
            detail={"left": unused_recovery_codes(user=user)},
        )
    return bool(used)


def unused_recovery_codes(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def confirm_enrolment(*, user: User, code: str) -> bool:
    """The first correct code proves the app holds the secret; the factor is then active."""
    if not verify_code(user=user, code=code):
        return False
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_confirmed_at"])
    return True
