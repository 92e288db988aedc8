"""The staff second factor: TOTP (RFC 6238) with pyotp, secret sealed in `User.totp_secret`.

Every role can reveal some personal data, so every staff member passes this step after the
password (C4.7); the middleware holds them on /accounts/otp/ until they do. The secret is read
only through `lookout.access.reveal` with purpose ACCOUNT_SECURITY, so each read is audited.
"""

from __future__ import annotations

import pyotp
import qrcode
import qrcode.image.svg
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lookout.access.gate import reveal
from lookout.accounts.models import User
from lookout.core.purposes import Purpose
from lookout.vault.blind_index import blind_index

ISSUER = "Lookout"
# Codes from one step before or after are accepted: phone clocks drift.
VALID_WINDOW = 1


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
        user.save(update_fields=["totp_secret", "totp_confirmed_at"])


def _secret(user: User) -> str:
    secret = reveal(user, ["totp_secret"], purpose=Purpose.ACCOUNT_SECURITY, actor=user)
    return secret["totp_secret"] or ""


def enrolment_details(*, user: User) -> dict[str, str]:
    """The secret (to type in) and its QR code as inline SVG: no request leaves the page.

    The app's label names the role and a short pseudonymous id, never the email.
    """
    secret = _secret(user)
    label = f"{user.get_role_display()} {str(user.subject)[:8]}"
    uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    # Group the secret in fours, as authenticator apps show it.
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "qr_svg": svg}


def _step_key(user: User, step: int) -> str:
    return "lookout:otp-used:" + blind_index(f"{user.subject}:{step}", domain="otp-used")


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
            step = int(at) // totp.interval
            # add() is atomic on every cache backend: the first use wins, a replay fails.
            return cache.add(
                _step_key(user, step), 1, timeout=totp.interval * (2 * VALID_WINDOW + 2)
            )
    return False


@transaction.atomic
def confirm_enrolment(*, user: User, code: str) -> bool:
    """The first correct code proves the app holds the secret; the factor is then active."""
    if not verify_code(user=user, code=code):
        return False
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_confirmed_at"])
    return True
