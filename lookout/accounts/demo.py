"""Demo people for `make run`: one staff member per role and two customers.

DEMO ONLY. Every demo account shares a published password, and each staff member's second-factor
secret is derived from their (example.com) email by a public formula, so anyone can compute the
current code with `lookout demo_otp <email>`. `load` refuses to run in production, and so does
`demo_otp`. Running `load` twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.access.roles import Role
from lookout.accounts import services
from lookout.accounts.models import User
from lookout.vault.blind_index import email_index, normalise_email

DEMO_PASSWORD = "lookout-demo-only"  # noqa: S105 - published on purpose, demo data only

DEMO_STAFF: dict[str, Role] = {
    "warehouse@example.com": Role.WAREHOUSE,
    "after-sales@example.com": Role.AFTER_SALES,
    "finance@example.com": Role.FINANCE,
    "privacy@example.com": Role.PRIVACY_OFFICER,
    "catalog@example.com": Role.CATALOG_MANAGER,
    "admin@example.com": Role.ADMINISTRATOR,
}
# Ann ticked the marketing box at sign-up, Ben did not.
DEMO_CUSTOMERS: dict[str, bool] = {"ann@example.com": True, "ben@example.com": False}


class DemoRefused(Exception):
    """Demo accounts with published credentials must never exist in production."""


def demo_totp_secret(email: str) -> str:
    """The fixed, public second-factor secret of a demo staff member (base32, 160 bits)."""
    digest = hashlib.sha256(b"lookout-demo-totp:" + normalise_email(email).encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def is_demo_staff(email: str) -> bool:
    return normalise_email(email) in DEMO_STAFF


def _refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoRefused("Demo accounts are never created in production.")


def load(*, progress: Callable[[str], None]) -> list[User]:
    """Create the demo people that do not exist yet; returns the ones created.

    `progress` receives one line of text per step.
    """
    _refuse_in_production()
    created: list[User] = []
    for email, role in DEMO_STAFF.items():
        user = _ensure(email=email, role=role, marketing_opt_in=None)
        if user is not None:
            created.append(user)
        progress(f"staff {role.label}: {'created' if user else 'already there'}")
    for email, opted_in in DEMO_CUSTOMERS.items():
        user = _ensure(email=email, role="", marketing_opt_in=opted_in)
        if user is not None:
            created.append(user)
        progress(f"customer {email.split('@')[0]}: {'created' if user else 'already there'}")
    return created


def _ensure(*, email: str, role: str, marketing_opt_in: bool | None) -> User | None:
    if User.objects.filter(email_index=email_index(email)).exists():
        return None
    with transaction.atomic():
        if marketing_opt_in is None:
            user = services.create_account(email=email, password=DEMO_PASSWORD, role=role)
        else:
            user = services.sign_up(
                email=email, password=DEMO_PASSWORD, marketing_opt_in=marketing_opt_in
            )
        if role:
            user.totp_secret = demo_totp_secret(email)
            user.totp_confirmed_at = timezone.now()
            user.save(update_fields=["totp_secret", "totp_confirmed_at"])
        return user


def sign_in_instructions() -> str:
    """What `make run` prints: how to sign in as each demo person, second factor included."""
    lines = [
        "Demo accounts (demo data only; the password and second-factor secrets are public):",
        f"  password for every demo account: {DEMO_PASSWORD}",
        "  staff also enter a 6-digit code; print the current one with:",
        "    .venv/bin/lookout demo_otp <email>",
        "",
    ]
    width = max(len(e) for e in [*DEMO_STAFF, *DEMO_CUSTOMERS])
    for email, role in DEMO_STAFF.items():
        lines.append(f"  {email:<{width}}  {role.label} (staff: password + demo_otp code)")
    for email, opted_in in DEMO_CUSTOMERS.items():
        marketing = "opted in to marketing" if opted_in else "not opted in to marketing"
        lines.append(f"  {email:<{width}}  customer ({marketing})")
    return "\n".join(lines)
