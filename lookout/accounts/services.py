"""Writes on accounts: every one a function with keyword-only arguments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lookout.access.gate import reveal
from lookout.accounts.models import MarketingChoice, User
from lookout.core.purposes import Purpose
from lookout.vault.blind_index import email_index, normalise_email
from lookout.vault.crypto import new_subject
from lookout.vault.models import DataKey

# The exact sentence next to the (unticked) sign-up box; stored with every choice (C3.6).
MARKETING_OPT_IN_WORDING = (
    "Yes, send Lookout offers and news to my Lookout inbox. I can opt out at any time in my "
    "account; "
    "my choice changes no price and no feature."
)
# The account centre's switch, in the words shown there (C3.7).
MARKETING_CENTRE_OPT_IN_WORDING = "Send Lookout offers and news to my inbox."
MARKETING_CENTRE_OPT_OUT_WORDING = "Stop sending me offers and news."


class EmailTaken(Exception):
    """An account with this email exists (raised when two sign-ups race past the form)."""


def create_account(*, email: str, password: str | None, role: str = "", **extra: object) -> User:
    """Create a person with their own data key; the email is sealed and blind-indexed.

    The data key lives in the key store database and commits there first, before the user row
    sealed under it (vault.crypto.new_subject): an account never exists without its key. A
    failed insert of the user leaves an unused key, which retention destroys."""
    kind = DataKey.Kind.STAFF if role else DataKey.Kind.CUSTOMER
    with transaction.atomic():
        user = User(
            subject=new_subject(kind=kind),
            email=normalise_email(email),
            email_index=email_index(email),
            role=role,
            **extra,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            if User.objects.filter(email_index=user.email_index).exists():
                raise EmailTaken("An account with this email already exists.") from exc
            raise
        return user


def email_in_use(*, email: str) -> bool:
    return User.objects.filter(email_index=email_index(email)).exists()


def sign_up(*, email: str, password: str, marketing_opt_in: bool) -> User:
    """Open a customer account: email and password only (C2.5), plus the marketing choice.

    The choice is recorded either way, with the wording shown: "not ticked" is evidence that the
    box was offered unticked and left so (C3.6).
    """
    with transaction.atomic():
        user = create_account(email=email, password=password)
        record_marketing_choice(
            user=user,
            opted_in=marketing_opt_in,
            wording=MARKETING_OPT_IN_WORDING,
            source="signup",
        )
        # C1.5: the version of each policy in force when the account was opened.
        from lookout.policies.models import PolicyAcceptance
        from lookout.policies.services import record_acceptance

        record_acceptance(subject=user.subject, how=PolicyAcceptance.How.SIGNUP)
        return user


@transaction.atomic
def record_marketing_choice(
    *, user: User, opted_in: bool, wording: str, source: str
) -> MarketingChoice:
    """Append a choice; the latest one is in force at once (C3.7). Earlier ones stay as proof."""
    # Lock the person's row: a promotion being delivered re-checks the choice under the same
    # lock, so an opt-out that commits first is always seen (C3.7).
    User.objects.select_for_update().filter(pk=user.pk).first()
    return MarketingChoice.objects.create(
        user=user, opted_in=opted_in, wording=wording, source=source
    )


def send_password_reset(*, email: str, site_url: str) -> bool:
    """Email a one-time reset link if an active account has this email; True if one was sent.

    Callers answer the same whatever this returns, so the form is no way to learn who has an
    account. The address is read through `reveal` (purpose ACCOUNT_NOTICE, actor None: the system
    writing to the person), so the send is audited.
    """
    user = User.objects.filter(
        email_index=email_index(email), is_active=True, closed_at__isnull=True
    ).first()
    if user is None or not user.has_usable_password():
        return False
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    to = reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not to:
        return False
    body = render_to_string(
        "accounts/email/password_reset.txt", {"reset_url": site_url.rstrip("/") + path}
    )
    EmailMessage(
        subject="Reset your Lookout password",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()
    return True
