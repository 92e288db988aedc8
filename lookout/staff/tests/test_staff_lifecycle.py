"""A staff member's life: invited, set up, second factor reset, deactivated (issue 19, findings
10 and 11). Through the administrator's pages, with real signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import RecoveryCode, User
from lookout.audit.models import AuditEntry
from lookout.vault.blind_index import email_index

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-staff-passphrase-7"


def _invite_link(message: Any) -> str:
    found = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", message.body)
    assert found is not None
    return found.group(1)


def _new_clerk(admin_client: Client, email: str = "new.clerk@example.com") -> User:
    response = admin_client.post(
        "/staff/administrator/staff/", {"email": email, "role": "warehouse"}
    )
    assert response.status_code == 302
    return User.objects.get(email_index=email_index(email))


@pytest.mark.commitment("C4.7")
def test_a_new_staff_member_gets_an_invitation_and_sets_up_password_and_second_factor(
    staff: Callable[[str], tuple[User, Client]],
):
    # given
    _, admin_client = staff(Role.ADMINISTRATOR)
    mail.outbox.clear()
    # when: the administrator adds a clerk
    clerk = _new_clerk(admin_client)
    # then: the clerk is emailed an invitation carrying the link and nothing about them
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.clerk@example.com"]
    assert "new.clerk" not in message.body and "warehouse" not in message.body.lower()
    assert "72 hours" in message.body
    link = _invite_link(message)
    # when: the clerk opens it, chooses a password
    newcomer = Client()
    assert newcomer.get(link).status_code == 200
    chosen = newcomer.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # then: they are led on to enrol the authenticator, then get recovery codes
    assert chosen.status_code == 302 and chosen["Location"].startswith("/accounts/otp/")
    page = newcomer.get(chosen["Location"]).content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret is not None
    enrolled = newcomer.post(
        "/accounts/otp/",
        {"code": pyotp.TOTP(secret.group(1).replace(" ", "")).now(), "next": "/staff/"},
    )
    assert enrolled.status_code == 200
    assert RecoveryCode.objects.filter(user=clerk).count() == 10
    assert newcomer.get("/staff/warehouse/").status_code == 200
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD) and clerk.totp_confirmed_at is not None
    # and the link works once
    assert Client().get(link).status_code == 404
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"staff.created", "staff.invited", "staff.invitation_accepted"} <= actions


@pytest.mark.commitment("C4.7")
def test_an_invitation_expires_after_the_configured_hours(
    staff: Callable[[str], tuple[User, Client]], settings
):
    # given
    settings.LOOKOUT_STAFF_INVITATION_HOURS = 2
    _, admin_client = staff(Role.ADMINISTRATOR)
    mail.outbox.clear()
    with freeze_time("2026-12-01 09:00:00"):
        _new_clerk(admin_client)
    link = _invite_link(mail.outbox[0])
    # when / then
    with freeze_time("2026-12-01 10:59:00"):
        assert Client().get(link).status_code == 200
    with freeze_time("2026-12-01 11:01:00"):
        late = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert late.status_code == 404


@pytest.mark.commitment("C4.7")
def test_resending_an_invitation_makes_the_earlier_link_useless(
    staff: Callable[[str], tuple[User, Client]],
):
    # given
    _, admin_client = staff(Role.ADMINISTRATOR)
    mail.outbox.clear()
    clerk = _new_clerk(admin_client)
    first = _invite_link(mail.outbox[0])
    # when
    resent = admin_client.post("/staff/administrator/staff/invitation/", {"user": str(clerk.pk)})
    # then
    assert resent.status_code == 302
    assert len(mail.outbox) == 2
    second = _invite_link(mail.outbox[1])
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    # and nobody with a password already is sent one
    chosen = Client().post(second, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert chosen.status_code == 302
    again = admin_client.post("/staff/administrator/staff/invitation/", {"user": str(clerk.pk)})
    assert again.status_code == 409 and len(mail.outbox) == 2


@pytest.fixture
def enrolled_clerk() -> tuple[User, str]:
    from django.utils import timezone

    from lookout.accounts.services import create_account

    secret = pyotp.random_base32()
    clerk = create_account(email="clerk@example.com", password=NEW_PASSWORD, role="warehouse")
    clerk.totp_secret = secret
    clerk.totp_confirmed_at = timezone.now()
    clerk.save()
    return clerk, secret


def _sign_in(secret: str) -> Client:
    client = Client()
    login = client.post(
        "/accounts/login/", {"email": "clerk@example.com", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert client.post("/accounts/otp/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert client.get("/staff/warehouse/").status_code == 200
    return client


@pytest.mark.commitment("C4.3")
def test_deactivating_a_staff_member_signs_them_out_at_once(
    staff: Callable[[str], tuple[User, Client]], enrolled_clerk: tuple[User, str]
):
    # given: the clerk is signed in (password and second factor) and working
    admin, admin_client = staff(Role.ADMINISTRATOR)
    clerk, secret = enrolled_clerk
    clerk_client = _sign_in(secret)
    # when
    done = admin_client.post("/staff/administrator/staff/deactivate/", {"user": str(clerk.pk)})
    # then: their very next request is signed out, and they cannot sign in again
    assert done.status_code == 302
    after = clerk_client.get("/staff/warehouse/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in clerk_client.session
    again = Client().post(
        "/accounts/login/", {"email": "clerk@example.com", "password": NEW_PASSWORD}
    )
    assert again.status_code == 400
    entry = AuditEntry.objects.filter(action="staff.deactivated").get()
    assert entry.actor_ref == str(admin.subject) and entry.subject_ref == str(clerk.subject)
    assert entry.detail == {"sessions_ended": 1}


@pytest.mark.commitment("C4.3")
def test_an_administrator_cannot_deactivate_themself_or_the_last_administrator(
    staff: Callable[[str], tuple[User, Client]],
):
    # given: two administrators, one of them already deactivated by the other
    admin, admin_client = staff(Role.ADMINISTRATOR)
    other, _ = staff(Role.ADMINISTRATOR)
    # when / then: not oneself
    own = admin_client.post("/staff/administrator/staff/deactivate/", {"user": str(admin.pk)})
    assert own.status_code == 409
    assert (
        admin_client.post(
            "/staff/administrator/staff/deactivate/", {"user": str(other.pk)}
        ).status_code
        == 302
    )
    # and now that `admin` is the last active administrator, nobody may deactivate them
    from lookout.staff import services

    with pytest.raises(services.StaffConflict, match="last administrator"):
        services.deactivate(user=admin, actor=other)
    assert User.objects.get(pk=admin.pk).is_active
    assert (
        admin_client.post(
            "/staff/administrator/staff/deactivate/", {"user": "not-a-uuid"}
        ).status_code
        == 400
    )


@pytest.mark.commitment("C4.7")
def test_resetting_a_lost_second_factor_forces_enrolment_at_next_sign_in(
    staff: Callable[[str], tuple[User, Client]], enrolled_clerk: tuple[User, str]
):
    # given: the clerk is signed in and has recovery codes
    admin, admin_client = staff(Role.ADMINISTRATOR)
    clerk, secret = enrolled_clerk
    from lookout.accounts import otp

    otp.new_recovery_codes(user=clerk)
    clerk_client = _sign_in(secret)
    # when
    done = admin_client.post(
        "/staff/administrator/staff/second-factor/reset/", {"user": str(clerk.pk)}
    )
    # then: signed out, the old app's codes and the recovery codes are gone
    assert done.status_code == 302
    assert clerk_client.get("/staff/warehouse/")["Location"].startswith("/accounts/login/")
    assert RecoveryCode.objects.filter(user=clerk).count() == 0
    fresh = Client()
    fresh.post("/accounts/login/", {"email": "clerk@example.com", "password": NEW_PASSWORD})
    page = fresh.get("/accounts/otp/").content.decode()
    assert '<code class="secret">' in page  # enrolling again, a new key
    assert fresh.post("/accounts/otp/", {"code": pyotp.TOTP(secret).now()}).status_code == 400
    assert fresh.session.get(OTP_SESSION_KEY) is None
    entry = AuditEntry.objects.filter(action="staff.second_factor_reset").get()
    assert entry.actor_ref == str(admin.subject) and entry.subject_ref == str(clerk.subject)
    # and an administrator cannot reset their own
    own = admin_client.post(
        "/staff/administrator/staff/second-factor/reset/", {"user": str(admin.pk)}
    )
    assert own.status_code == 409
