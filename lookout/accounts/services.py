"""Writes on accounts: every one a function with keyword-only arguments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
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


def open_account(*, email: str, password: str, marketing_opt_in: bool, site_url: str) -> None:
    """The sign-up form's one outcome, whether or not the email has an account (finding 3 of
    the 2026-12 attack: the form told anyone which emails have accounts).

    A new email gets its account (`sign_up`) and a short welcome email. An email that already
    has an account gets nothing created: its owner is emailed instead, that someone tried to
    open an account with their address and how to reset the password. The caller answers the
    same page either way and signs nobody in, so neither the page, its status nor a session
    tells the two apart. The password is hashed on both paths, so the slow step is no tell
    either. Addresses are read through the gate (purpose ACCOUNT_NOTICE, the system writing to
    the person), so each email is audited; the emails carry no personal data but the address
    they go to.
    """
    if email_in_use(email=email):
        make_password(password)  # the new-account path's Argon2 cost, spent here too
        _notify_owner_of_signup_attempt(email=email, site_url=site_url)
        return
    try:
        user = sign_up(email=email, password=password, marketing_opt_in=marketing_opt_in)
    except EmailTaken:  # a sign-up for the same email committed between the check and here
        _notify_owner_of_signup_attempt(email=email, site_url=site_url)
        return
    _send_account_notice(
        user=user,
        subject="Your Lookout account is open",
        template="accounts/email/welcome.txt",
        site_url=site_url,
    )


def _notify_owner_of_signup_attempt(*, email: str, site_url: str) -> None:
    user = User.objects.filter(email_index=email_index(email), closed_at__isnull=True).first()
    if user is not None:
        _send_account_notice(
            user=user,
            subject="Someone tried to open a Lookout account with your email",
            template="accounts/email/signup_attempt.txt",
            site_url=site_url,
        )


def _send_account_notice(*, user: User, subject: str, template: str, site_url: str) -> bool:
    """Email `user` a notice about their account at the address read through the gate."""
    to = reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not to:
        return False
    base = site_url.rstrip("/")
    body = render_to_string(
        template,
        {
            "login_url": base + reverse("accounts:login"),
            "reset_url": base + reverse("accounts:password_reset"),
        },
    )
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]).send()
    return True


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
