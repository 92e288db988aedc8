"""A test client signed in as a staff member who has passed the second factor this session:
what most back-office tests start from, without going through the code page each time."""

from __future__ import annotations

from django.test import Client

from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import User


def client_past_second_factor(user: User, *, backend: str | None = None) -> Client:
    """A fresh client signed in as `user`, with the second factor passed in its session.

    `backend` is handed to `Client.force_login`: left out, Django signs in through the first
    configured backend that can fetch a user. Tests that pin `AUTHENTICATION_BACKENDS` to the
    role backend (whose permissions the admin site consults) name it, so the session records
    the backend they mean whatever the settings say by default."""
    client = Client()
    client.force_login(user, backend=backend)
    session = client.session
    session[OTP_SESSION_KEY] = True
    session.save()
    return client
