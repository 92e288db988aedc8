"""A test client signed in as a staff member who has passed the second factor this session:
what most back-office tests start from, without going through the code page each time."""

from __future__ import annotations

from django.test import Client

from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import User


def client_past_second_factor(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[OTP_SESSION_KEY] = True
    session.save()
    return client
