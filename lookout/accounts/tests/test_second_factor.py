from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import User
from lookout.accounts.tests.conftest import PASSWORD, sign_in
from lookout.audit.models import AuditEntry
from lookout.vault.crypto import Sealed


def _verify(client: Client, code: str, next_url: str = "/"):
    return client.post("/accounts/otp/", {"code": code, "next": next_url})


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/", "/cart/", "/admin/"])
def test_staff_without_the_second_factor_reach_no_page_but_the_code_page(
    make_staff: Callable[..., tuple[User, str]], path: str
):
    # given: a staff member signed in with the password only
    make_staff()
    client = Client()
    assert sign_in(client, "wh@example.com").status_code == 302
    # when
    response = client.get(path)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/?next=")
    assert client.session.get(OTP_SESSION_KEY) is None


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_staff_with_the_current_code_get_in_with_a_new_session_id(
    make_staff: Callable[..., tuple[User, str]],
):
    # given
    _, secret = make_staff()
    client = Client()
    sign_in(client, "wh@example.com")
    before = client.session.session_key
    # when
    response = _verify(client, pyotp.TOTP(secret).now(), next_url="/accounts/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert client.session[OTP_SESSION_KEY] is True
    assert client.session.session_key != before
    assert client.get("/accounts/").status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_reading_the_secret_to_check_a_code_is_audited(
    make_staff: Callable[..., tuple[User, str]],
):
    # given
    user, secret = make_staff()
    client = Client()
    sign_in(client, "wh@example.com")
    before = AuditEntry.objects.filter(action="reveal", subject_ref=str(user.subject)).count()
    # when
    _verify(client, pyotp.TOTP(secret).now())
    # then
    entries = AuditEntry.objects.filter(action="reveal", subject_ref=str(user.subject))
    assert entries.count() == before + 1
    latest = entries.order_by("-seq").first()
    assert latest is not None and latest.purpose == "account_security"


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_a_used_code_cannot_be_replayed(make_staff: Callable[..., tuple[User, str]]):
    # given: one session used the code
    _, secret = make_staff()
    code = pyotp.TOTP(secret).now()
    first = Client()
    sign_in(first, "wh@example.com")
    assert _verify(first, code).status_code == 302
    # when: someone else replays it
    second = Client()
    sign_in(second, "wh@example.com")
    response = _verify(second, code)
    # then
    assert response.status_code == 400
    assert OTP_SESSION_KEY not in second.session


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", "1" * 17, ""])
def test_wrong_or_malformed_codes_are_refused_with_a_message(
    make_staff: Callable[..., tuple[User, str]], code: str
):
    # given
    _, secret = make_staff()
    if code == pyotp.TOTP(secret).now():
        pytest.skip("the random secret happens to give this code now")
    client = Client()
    sign_in(client, "wh@example.com")
    # when
    response = _verify(client, code)
    # then
    assert response.status_code == 400
    assert response.context["form"].errors
    assert OTP_SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_wrong_codes_are_throttled_and_then_even_the_right_code_is_refused(
    make_staff: Callable[..., tuple[User, str]], settings
):
    # given
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    _, secret = make_staff()
    client = Client()
    sign_in(client, "wh@example.com")
    for _ in range(3):
        _verify(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    # when
    response = _verify(client, pyotp.TOTP(secret).now())
    # then
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert OTP_SESSION_KEY not in client.session


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_first_sign_in_enrols_with_an_inline_qr_code_and_a_confirming_code():
    # given: a staff member who never set up the second factor
    from lookout.accounts.services import create_account

    user = create_account(email="new.staff@example.com", password=PASSWORD, role="finance")
    client = Client()
    sign_in(client, "new.staff@example.com")
    # when
    page = client.get("/accounts/otp/")
    # then: the key and the QR code are on the page itself, nothing loaded from elsewhere
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert shown is not None
    secret = shown.group(1).replace(" ", "")
    user.refresh_from_db()
    assert user.totp_confirmed_at is None
    # and the secret is stored encrypted, not as typed
    assert isinstance(user.totp_secret, Sealed)
    assert secret.encode() not in user.totp_secret.blob
    # when: the code from the app confirms it
    response = _verify(client, pyotp.TOTP(secret).now(), next_url="/accounts/")
    # then: the recovery codes are shown once, with the way on
    assert response.status_code == 200
    assert 'href="/accounts/"' in response.content.decode()
    user.refresh_from_db()
    assert user.totp_confirmed_at is not None
    assert client.get("/accounts/").status_code == 200


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_codes_from_a_neighbouring_time_step_count_but_older_ones_do_not(
    make_staff: Callable[..., tuple[User, str]],
):
    # given
    _, secret = make_staff()
    totp = pyotp.TOTP(secret)
    with freeze_time("2026-11-25 12:00:10"):
        client = Client()
        sign_in(client, "wh@example.com")
        old = totp.at(1795608010 - 120)
        previous = totp.at(1795608010 - 30)
        # when / then
        if old != totp.now() and old != previous:
            assert _verify(client, old).status_code == 400
        assert _verify(client, previous).status_code == 302


@pytest.mark.django_db
def test_customers_have_no_second_factor_step(customer: User):
    # given
    client = Client()
    sign_in(client, "ann@example.com")
    # when
    response = client.get("/accounts/otp/")
    # then
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 200
