"""Opening an account and signing in record which policy versions the person accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.policies.models import PolicyAcceptance
from lookout.policies.selectors import acceptances_for, current_versions
from lookout.policies.services import publish_version
from lookout.vault.blind_index import email_index

PASSWORD = "a-long-passphrase-1"


def _sign_up(client: Client, email: str) -> User:
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    return User.objects.get(email_index=email_index(email))


@pytest.mark.commitment("C1.5")
@pytest.mark.django_db
def test_sign_up_records_the_version_of_each_policy_in_force() -> None:
    in_force = current_versions()
    assert set(in_force) == {"privacy", "shipping", "refund"}

    user = _sign_up(Client(), "accepts@example.com")

    accepted = {
        (a.version.document, a.version.number): a.how for a in acceptances_for(subject=user.subject)
    }
    assert accepted == {(doc, v.number): PolicyAcceptance.How.SIGNUP for doc, v in in_force.items()}


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_signing_in_after_a_new_version_took_effect_records_continued_use() -> None:
    # Given a customer who signed up under the first versions
    user = _sign_up(Client(), "continues@example.com")
    # And a new shipping policy posted (not material: effective on posting)
    new = publish_version(document="shipping", text="# Shipping\n\nStill free, now faster.")
    # When they sign in again after it took effect
    with freeze_time(timezone.now() + timedelta(minutes=5)):
        response = Client().post(
            "/accounts/login/", {"email": "continues@example.com", "password": PASSWORD}
        )
    assert response.status_code == 302
    # Then the new version is recorded as accepted by continued use
    rows = acceptances_for(subject=user.subject).filter(version=new)
    assert [r.how for r in rows] == [PolicyAcceptance.How.CONTINUED_USE]
