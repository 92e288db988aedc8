"""Every place that checks a password or a code goes through the one attempt limiter
(issue 19, finding 1 of the 2026-12 attack; decision 0032).

Sign-in and the second factor were limited; the Django admin's sign-in, password change and the
guests' code form per network were not. Each test here fails on the code before decision 0032.
The parallel case (counting before the check) is proven against the real server in
tests/ops/test_sign_in_limit.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.accounts.tests.conftest import PASSWORD, sign_in
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-different-long-pass"


def _admin_sign_in(email: str, password: str, *, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return Client().post("/admin/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.commitment("C4.7")
def test_the_admin_sign_in_is_limited_and_then_refuses_the_right_password(settings):
    """Finding 1: wrong staff passwords at /admin/login/ were never limited."""
    # given a staff member, and a limit of 3 per account
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    # when wrong passwords are tried at the admin's door, each from another address
    wrong = [_admin_sign_in("cm@example.com", "wrong", ip=f"10.9.0.{n}") for n in range(3)]
    right = _admin_sign_in("cm@example.com", PASSWORD, ip="10.9.0.99")
    # then the wrong ones were answered as wrong, and then even the right one is refused
    assert [r.status_code for r in wrong] == [200, 200, 200]  # the admin's own "try again"
    assert right.status_code == 429
    assert "Too many sign-in attempts; try again in" in right.content.decode()
    assert int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in right.client.session


@pytest.mark.commitment("C4.7")
def test_the_admin_and_the_store_count_one_account_together(settings):
    """One limiter, not one per door: failures at either door count against the account."""
    # given a limit of 4, used up half at the store's sign-in and half at the admin's
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 4
    create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    for n in range(2):
        assert sign_in(Client(), "cm@example.com", "wrong", ip=f"10.8.0.{n}").status_code == 400
        assert _admin_sign_in("cm@example.com", "wrong", ip=f"10.8.1.{n}").status_code == 200
    # when the right password comes to either door
    # then both refuse it
    assert _admin_sign_in("cm@example.com", PASSWORD, ip="10.8.2.1").status_code == 429
    assert sign_in(Client(), "cm@example.com", PASSWORD, ip="10.8.2.2").status_code == 429


@pytest.mark.commitment("C4.7")
def test_the_admin_sign_in_still_lets_staff_in_within_the_limit():
    # given a staff member with the admin's rights
    create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    # when they sign in at the admin's door
    response = _admin_sign_in("cm@example.com", PASSWORD)
    # then they are signed in (the second factor is asked next, as everywhere)
    assert response.status_code == 302
    assert response.client.session.get("_auth_user_id")


def _change_password(client: Client, old: str, *, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/password/change/",
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        REMOTE_ADDR=ip,
    )


@pytest.mark.commitment("C4.7")
def test_password_change_is_limited_and_then_refuses_the_right_old_password(
    customer: User, settings
):
    """A borrowed session could guess the old password at /accounts/password/change/ without
    limit (and then own the account)."""
    # given a signed-in session and a limit of 3 per account
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    client = Client()
    client.force_login(customer)
    # when the old password is guessed wrong, each time from another address
    wrong = [_change_password(client, "not-it", ip=f"10.7.0.{n}").status_code for n in range(3)]
    right = _change_password(client, PASSWORD, ip="10.7.0.99")
    # then
    assert wrong == [400, 400, 400]
    assert right.status_code == 429
    assert "Too many password attempts; try again in" in right.content.decode()
    assert int(right["Retry-After"]) > 0
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


@pytest.mark.commitment("C4.7", "C6.1")
def test_password_change_and_the_privacy_centre_share_one_budget(customer: User, settings):
    """Typing one's password again is one budget per account, wherever it is asked: the
    privacy centre's request form, its email change and the password change."""
    # given a limit of 3, one wrong try at each of the three places
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    client = Client()
    client.force_login(customer)
    assert _change_password(client, "not-it").status_code == 400
    request = client.post("/privacy/requests/", {"kind": "access", "password": "not-it"})
    assert request.status_code == 400
    email = client.post("/privacy/email/", {"email": "new@example.com", "password": "not-it"})
    assert email.status_code == 400
    # when the right password is given at any of them
    changed = _change_password(client, PASSWORD)
    asked = client.post("/privacy/requests/", {"kind": "access", "password": PASSWORD})
    # then it is refused
    assert changed.status_code == 429
    assert asked.status_code == 429
    assert "Too many password attempts" in asked.content.decode()


@pytest.mark.commitment("C4.7")
def test_a_successful_sign_in_does_not_reset_the_networks_count(customer: User, settings):
    """A guesser who owns an account cannot sign in to it to clear their network's failures."""
    # given a per-network limit of 4 and three failures from one address against others
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 4
    for n in range(3):
        assert sign_in(Client(), f"other{n}@example.com", "x", ip="198.51.100.9").status_code == 400
    # when the guesser signs in to their own account from that address
    assert sign_in(Client(), "ann@example.com", PASSWORD, ip="198.51.100.9").status_code == 302
    # then the network has one failure left, not four
    assert sign_in(Client(), "other8@example.com", "x", ip="198.51.100.9").status_code == 400
    assert sign_in(Client(), "other9@example.com", "x", ip="198.51.100.9").status_code == 429


@pytest.mark.commitment("C4.7")
def test_the_admins_own_password_change_is_limited_and_shares_the_budget(settings):
    """/admin/password_change/ checks the old password too: it counts with the store's."""
    # given a signed-in staff member past the second factor, and a limit of 3
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    staff = create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    client = client_past_second_factor(staff)
    fields = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    # when the old password is guessed wrong twice at the admin and once at the store
    admin_wrong = [
        client.post("/admin/password_change/", {"old_password": "not-it", **fields}).status_code
        for _ in range(2)
    ]
    store_wrong = _change_password(client, "not-it").status_code
    right = client.post("/admin/password_change/", {"old_password": PASSWORD, **fields})
    # then the right one is refused, and the password is unchanged
    assert admin_wrong == [200, 200]  # the admin's own "correct the errors" page
    assert store_wrong == 400
    assert right.status_code == 429
    assert "Too many password attempts" in right.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


@pytest.mark.commitment("C4.7")
def test_the_admins_own_password_change_still_works_within_the_limit():
    # given a signed-in staff member past the second factor
    staff = create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    client = client_past_second_factor(staff)
    # when they change their password at the admin with the right old one
    done = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then it is changed, and the admin's "done" page follows
    assert done.status_code == 302
    assert done["Location"] == "/admin/password_change/done/"
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
