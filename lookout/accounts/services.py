"""Writes on accounts: every one a function with keyword-only arguments."""

from __future__ import annotations

from django.db import transaction

from lookout.accounts.models import User
from lookout.vault.blind_index import email_index, normalise_email
from lookout.vault.crypto import new_subject
from lookout.vault.models import DataKey


@transaction.atomic
def create_account(*, email: str, password: str | None, role: str = "", **extra: object) -> User:
    """Create a person with their own data key; the email is sealed and blind-indexed."""
    kind = DataKey.Kind.STAFF if role else DataKey.Kind.CUSTOMER
    user = User(
        subject=new_subject(kind=kind),
        email=normalise_email(email),
        email_index=email_index(email),
        role=role,
        **extra,
    )
    user.set_password(password)
    user.save()
    return user
