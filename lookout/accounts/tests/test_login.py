from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.accounts.tests.conftest import PASSWORD, session_before_sign_in, sign_in
from lookout.core.client_ip import parse_trusted_proxies

MID_WINDOW = "2030-01-01 00:07:30"  # 2030-01-01T00:00Z is a multiple of the 900 s window


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_passwords_are_stored_as_argon2_hashes(customer: User):
    # when: the stored value is read straight from the table
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM accounts_user WHERE id = %s", [customer.pk.hex])
        rows = cursor.fetchall()
    if not rows:  # PostgreSQL stores UUIDs natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT password FROM accounts_user WHERE id = %s", [customer.pk])
            rows = cursor.fetchall()
    # then
    stored = rows[0][0]
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_sign_in_by_email_rotates_the_session_and_sets_only_session_cookies(customer: User):
    # given: a session exists before signing in
    client = Client()
    before = session_before_sign_in(client)
    # when: the email is typed in another case, with spaces
    response = sign_in(client, "  ANN@example.com ")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert client.session["_auth_user_id"] == str(customer.pk)
    assert client.session.session_key != before
    session_cookie = response.cookies["lookout_session"]
    assert session_cookie["expires"] == "" and session_cookie["max-age"] == ""
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    for name, cookie in client.cookies.items():
        assert name in {"lookout_session", "lookout_csrf"}
        assert cookie["expires"] == "" and cookie["max-age"] == ""


@pytest.mark.django_db
def test_wrong_password_and_unknown_email_get_the_same_answer(customer: User):
    # when
    wrong = sign_in(Client(), "ann@example.com", "not-the-password")
    unknown = sign_in(Client(), "nobody@example.com", "not-the-password")
    # then
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match an account" in wrong.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-email", "password": "x"},
        {"email": "a" * 10_000, "password": "x"},
        {"email": "ann@example.com", "password": "x" * 10_000},
        {},
    ],
)
def test_malformed_sign_in_gets_400_with_a_message(customer: User, data: dict):
    # when
    response = Client().post("/accounts/login/", data)
    # then
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "_auth_user_id" not in Client().session


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_account_is_throttled_after_the_limit_even_with_the_right_password(
    customer: User, settings
):
    # given
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    for n in range(3):
        # each from a different address: the per-account limit is what bites
        assert sign_in(Client(), "ann@example.com", "wrong", ip=f"10.0.0.{n}").status_code == 400
    client = Client()
    # when
    response = sign_in(client, "ann@example.com", PASSWORD, ip="10.0.0.99")
    # then
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many sign-in attempts; try again in" in body
    assert "minute" in body
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_one_address_is_throttled_across_accounts(customer: User, settings):
    # given: failures against many accounts from one address
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 4
    for n in range(4):
        sign_in(Client(), f"guess{n}@example.com", "wrong", ip="203.0.113.7")
    # when
    same_address = sign_in(Client(), "ann@example.com", PASSWORD, ip="203.0.113.7")
    other_address = sign_in(Client(), "ann@example.com", PASSWORD, ip="203.0.113.8")
    # then
    assert same_address.status_code == 429
    assert other_address.status_code == 302


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_throttle_counters_hold_no_plaintext_email_or_address(customer: User, settings):
    # given
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 2
    for _ in range(3):
        sign_in(Client(), "ann@example.com", "wrong", ip="198.51.100.23")
    # when: the limiter's counter table is read raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT bucket, count FROM accounts_attemptcount")
        rows = cursor.fetchall()
    # then
    assert rows, "the limiter wrote its counters to the shared table"
    dump = repr(rows)
    for secret in ("ann@example.com", "ann", "198.51.100.23", "198.51.100"):
        assert secret not in dump


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_sign_in_without_csrf_token_is_refused_and_explains_the_cookie(customer: User):
    # given
    client = Client(enforce_csrf_checks=True)
    # when
    response = sign_in(client, "ann@example.com")
    # then
    assert response.status_code == 403
    assert "strictly necessary" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.commitment("C7.4")
@pytest.mark.django_db
def test_sign_in_page_says_the_session_cookie_is_needed(client: Client):
    # when
    html = client.get("/accounts/login/").content.decode()
    # then
    assert "Signing in needs one strictly necessary cookie" in html
    assert "check out as a guest" in html


@pytest.mark.django_db
def test_sign_out_ends_the_session(customer: User):
    # given
    client = Client()
    sign_in(client, "ann@example.com")
    # when
    response = client.post("/accounts/logout/")
    # then
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/").status_code == 302


@pytest.mark.django_db
def test_next_parameter_cannot_send_people_off_site(customer: User):
    # when
    response = Client().post(
        "/accounts/login/",
        {"email": "ann@example.com", "password": PASSWORD, "next": "https://evil.example.net/"},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def _sign_in_from(remote: str, forwarded: str, email: str, password: str):  # type: ignore[no-untyped-def]
    """A sign-in arriving from `remote` with the X-Forwarded-For header `forwarded`."""
    return Client().post(
        "/accounts/login/",
        {"email": email, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_customer_has_their_own_address_limit(customer: User, settings):
    # given two trusted proxies, and a low per-address limit
    settings.LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.5,10.0.0.6")
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 3
    with freeze_time(MID_WINDOW):
        # when one customer fails against many accounts through a proxy (forging a left entry)
        for n in range(3):
            _sign_in_from("10.0.0.5", "192.0.2.1, 198.51.100.1", f"guess{n}@example.com", "x")
        guesser = _sign_in_from("10.0.0.6", "198.51.100.1", "ann@example.com", PASSWORD)
        # and another customer signs in through the same proxy
        other = _sign_in_from("10.0.0.5", "198.51.100.2", "ann@example.com", PASSWORD)
        # and a client reaching the app directly forges a new forwarded address on every try
        direct = [
            _sign_in_from("203.0.113.7", f"198.51.100.{10 + n}", f"guess{n}@example.com", "x")
            for n in range(4)
        ]
    # then the guesser is refused through either proxy, the other customer is not
    assert guesser.status_code == 429
    assert other.status_code == 302
    # and the direct client's header bought it no fresh limit
    assert [r.status_code for r in direct] == [400, 400, 400, 429]
