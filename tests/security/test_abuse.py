"""Abuse: what an attacker tries first, refused (C4.5). Password and code guessing is throttled
(C4.7, C6.1), oversized bodies are refused before they are read, `next` and other return
parameters never send a browser off-site, and one person's order, return, request, access file,
address or message cannot be reached with another person's session or another object's link.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.services import create_account
from lookout.orders.testing import GUEST_EMAIL
from lookout.privacy.models import GuestChallenge, SubjectRequest
from lookout.privacy.verification import MAX_ATTEMPTS
from tests.security import world as w

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("partners", "policies", "dispute_vendor"),
]

# Mid-window: a throttle window boundary can never fall inside a test.
MID_WINDOW = datetime(2026, 3, 10, 12, 7, 30, tzinfo=UTC)
EVIL = [
    "https://evil.example.net/",
    "//evil.example.net/",
    "///evil.example.net/",
    "/\\evil.example.net/",
    "\\\\evil.example.net",
    "https:evil.example.net",
    " https://evil.example.net/",
    "javascript:alert(1)",
    "http://testserver@evil.example.net/",
]


def _off_site(response: Any) -> bool:
    location = response.get("Location", "")
    parts = urlsplit(location.strip())
    return bool(parts.netloc and parts.netloc != "testserver") or parts.scheme not in ("", "http")


# ---- guessing -------------------------------------------------------------------------------


@pytest.mark.commitment("C4.5", "C4.7")
def test_password_guessing_on_one_account_is_throttled_with_a_clear_message():
    # given a customer, and an attacker guessing their password
    user = create_account(email="victim@example.com", password=w.PASSWORD)
    attacker = Client()
    with freeze_time(MID_WINDOW):
        answers = [
            attacker.post(
                "/accounts/login/", {"email": "victim@example.com", "password": f"guess-{n}-x"}
            ).status_code
            for n in range(settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT)
        ]
        # when the limit is spent, even the right password is refused
        right = attacker.post(
            "/accounts/login/", {"email": "victim@example.com", "password": w.PASSWORD}
        )
    # then the wrong guesses were 400s and the next try is a 429 saying when to retry
    assert answers == [400] * settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert re.search(r"Too many sign-in attempts; try again in \d+ minutes?\.", right.text)
    assert "_auth_user_id" not in attacker.session
    assert str(user.pk) not in str(dict(attacker.session))


@pytest.mark.commitment("C4.5", "C4.7")
def test_password_spraying_from_one_address_is_throttled():
    # given many accounts, and one address trying one password on each
    with freeze_time(MID_WINDOW):
        answers = [
            Client()
            .post(
                "/accounts/login/",
                {"email": f"person{n}@example.com", "password": "Winter2026!x"},
                REMOTE_ADDR="203.0.113.9",
            )
            .status_code
            for n in range(settings.LOOKOUT_LOGIN_LIMIT_PER_IP + 1)
        ]
        other_address = Client().post(
            "/accounts/login/",
            {"email": "person0@example.com", "password": "Winter2026!x"},
            REMOTE_ADDR="198.51.100.7",
        )
    # then the address is cut off once it spent its tries; another address is not
    assert answers[-1] == 429
    assert answers[:-1] == [400] * settings.LOOKOUT_LOGIN_LIMIT_PER_IP
    assert other_address.status_code == 400


@pytest.mark.commitment("C4.5", "C4.7")
def test_second_factor_guessing_is_throttled_and_the_right_code_then_does_not_help():
    # given a staff member whose password was stolen (signed in, second factor pending)
    secret = pyotp.random_base32()
    staff = create_account(email="po@example.com", password=w.PASSWORD, role="privacy_officer")
    staff.totp_secret = secret
    staff.totp_confirmed_at = timezone.now()
    staff.save()
    attacker = Client()
    attacker.force_login(staff)
    with freeze_time(MID_WINDOW):
        right_code = pyotp.TOTP(secret).now()
        wrong = "000000" if right_code != "000000" else "111111"
        answers = [
            attacker.post("/accounts/otp/", {"code": wrong}).status_code
            for _ in range(settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT)
        ]
        # when the attacker then happens on the right code
        last = attacker.post("/accounts/otp/", {"code": right_code})
        queue = attacker.get("/privacy/queue/")
    # then it is refused with a 429, and the back office stays closed
    assert answers == [400] * settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
    assert last.status_code == 429
    assert "Too many" in last.text
    assert not attacker.session.get(OTP_SESSION_KEY)
    assert queue.status_code == 302
    assert urlsplit(queue["Location"]).path == "/accounts/otp/"


def _start_challenge(client: Client, number: str) -> tuple[str, str | None]:
    before = len(mail.outbox)
    response = client.post(
        "/privacy/guest/", {"email": GUEST_EMAIL, "order_number": number, "kind": "access"}
    )
    assert response.status_code == 200
    challenge = GuestChallenge.objects.order_by("-created_at").first()
    assert challenge is not None
    code = None
    if len(mail.outbox) > before:
        code = mail.outbox[-1].body.split("Your code is ", 1)[1][:6]
    return str(challenge.id), code


@pytest.mark.commitment("C4.5", "C6.1")
def test_a_guest_code_allows_only_a_few_guesses_then_not_even_the_right_code():
    # given a guest's order and a code sent to its email, and someone guessing it
    order = w.paid_order()
    guesser = Client()
    challenge, code = _start_challenge(guesser, order.number)
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        guesser.post("/privacy/guest/code/", {"challenge": challenge, "code": wrong}).status_code
        for _ in range(MAX_ATTEMPTS)
    ]
    # when the right code comes after the limit
    late = guesser.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    # then it is refused too, and no request exists
    assert answers == [400] * MAX_ATTEMPTS
    assert late.status_code == 400
    assert SubjectRequest.objects.count() == 0


@pytest.mark.commitment("C4.5", "C6.1")
def test_starting_guest_challenges_for_one_order_is_throttled():
    # given a guest's order, and someone starting challenge after challenge for it
    order = w.paid_order()
    guesser = Client()
    with freeze_time(MID_WINDOW):
        answers = [
            guesser.post(
                "/privacy/guest/",
                {"email": GUEST_EMAIL, "order_number": order.number, "kind": "access"},
            ).status_code
            for _ in range(settings.LOOKOUT_LOGIN_LIMIT_PER_IP + 1)
        ]
    # then they are cut off (429) before the code space can be worked through
    assert 429 in answers


# ---- oversized bodies ---------------------------------------------------------------------


@pytest.mark.commitment("C4.5")
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/accounts/login/", "application/x-www-form-urlencoded"),
        ("/privacy/guest/", "application/x-www-form-urlencoded"),
        ("/cart/add/", "application/x-www-form-urlencoded"),
        ("/cookies/choice/", "application/x-www-form-urlencoded"),
        ("/analytics/beacon", "application/json"),
        ("/api/v1/checkout/orders", "application/json"),
    ],
)
def test_a_body_over_the_upload_limit_is_refused_and_nothing_is_written(path, content_type):
    # given a body one byte over the limit Django reads into memory
    from tests.security.test_access_control import snapshot

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit is not None and limit <= 2_621_440, "the upload limit was raised or removed"
    if content_type == "application/json":
        body = b'{"padding": "' + b"x" * limit + b'"}'
    else:
        body = b"email=a%40example.com&password=" + b"x" * limit
    before = snapshot()
    # when it is posted
    response = Client().generic("POST", path, body, content_type=content_type)
    # then it is refused with a 4xx (never read, never a 500) and nothing changed
    assert 400 <= response.status_code < 500, response.status_code
    assert snapshot() == before


@pytest.mark.commitment("C4.5")
def test_too_many_form_fields_are_refused():
    fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = Client().generic(
        "POST", "/accounts/login/", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


# ---- open redirects -----------------------------------------------------------------------


@pytest.mark.commitment("C4.5")
@pytest.mark.parametrize("target", EVIL)
def test_signing_in_never_redirects_off_site(target):
    # given a customer following a crafted sign-in link
    create_account(email="ann@example.com", password=w.PASSWORD)
    client = Client()
    page = client.get("/accounts/login/", {"next": target})
    # when they sign in
    response = client.post(
        "/accounts/login/", {"email": "ann@example.com", "password": w.PASSWORD, "next": target}
    )
    # then the crafted target is neither offered by the page nor followed
    assert target.strip() not in page.text or target.strip().startswith("/")
    assert response.status_code == 302
    assert not _off_site(response), response["Location"]
    assert response["Location"] == "/accounts/"


@pytest.mark.commitment("C4.5", "C4.7")
@pytest.mark.parametrize("target", EVIL)
def test_the_second_factor_page_never_redirects_off_site(target):
    # given a staff member passing their second factor from a crafted link
    secret = pyotp.random_base32()
    staff = create_account(email="wh@example.com", password=w.PASSWORD, role="warehouse")
    staff.totp_secret = secret
    staff.totp_confirmed_at = timezone.now()
    staff.save()
    client = Client()
    client.force_login(staff)
    # when the right code is entered
    response = client.post(
        "/accounts/otp/?" + f"next={target}", {"code": pyotp.TOTP(secret).now(), "next": target}
    )
    # then they land on the site
    assert response.status_code == 302
    assert not _off_site(response), response["Location"]


@pytest.mark.commitment("C4.5")
@pytest.mark.parametrize("target", EVIL)
def test_a_cookie_choice_never_redirects_off_site(target):
    # given a cookie choice posted with a crafted `next` and a foreign Referer
    response = Client().post(
        "/cookies/choice/",
        {"choice": "reject", "next": target},
        HTTP_REFERER="https://evil.example.net/phish",
    )
    # then the browser is sent back on the site
    assert response.status_code in (302, 303)
    assert not _off_site(response), response["Location"]


@pytest.mark.commitment("C4.5")
def test_a_signed_in_visitor_following_a_crafted_link_stays_on_site():
    user = create_account(email="bob@example.com", password=w.PASSWORD)
    client = Client()
    client.force_login(user)
    for target in EVIL:
        for path in ("/accounts/login/", "/accounts/otp/"):
            response = client.get(path, {"next": target})
            assert not _off_site(response), (path, target, response.get("Location"))


# ---- IDOR ---------------------------------------------------------------------------------


@pytest.fixture
def two_people() -> dict[str, Any]:
    """Ann's things, and Bob (another customer) who tries to reach them."""
    people = w.make_people()
    ann = people["customer"]
    order = w.delivered_order_of(people)
    from lookout.returns.testing import request_all

    ret = request_all(order)
    access = w.subject_request(ann)
    from lookout.inbox.services import send_message
    from lookout.privacy.access_file import download_path

    message = send_message(subject=ann.subject, kind="order_update", title="Hi", body="Shipped.")
    return {
        "people": people,
        "order": order,
        "ret": ret,
        "access": access,
        "download": download_path(request=access),
        "address": w.saved_address(ann),
        "message": message,
    }


@pytest.mark.commitment("C4.5")
def test_another_customer_cannot_reach_an_order_return_request_file_address_or_message(two_people):
    # given Ann's things, and Bob signed in
    from tests.security.test_access_control import snapshot

    t = two_people
    bob = w.client_for("other_customer", t["people"])
    ann = w.client_for("customer", t["people"])
    pages = [
        f"/orders/{t['order'].number}/",
        f"/returns/order/{t['order'].number}/",
        f"/returns/{t['ret'].number}/",
        f"/privacy/requests/{t['access'].id}/",
        t["download"],
        f"/privacy/addresses/{t['address'].id}/",
        f"/inbox/{t['message'].id}/",
    ]
    before = snapshot()
    # when Bob asks for each by its number, id or link
    answers = {page: bob.get(page).status_code for page in pages}
    posts = {
        f"/returns/order/{t['order'].number}/": {"reason": "changed_mind"},
        f"/privacy/addresses/{t['address'].id}/": {"street_address": "1 Evil Way", "city": "X"},
    }
    answers |= {f"POST {p}": bob.post(p, data).status_code for p, data in posts.items()}
    # then each is the same 404 as a page that does not exist, and nothing changed
    assert set(answers.values()) == {404}, answers
    assert snapshot() == before
    # while Ann reaches every one of them (the same URLs are real)
    assert {page: ann.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)


@pytest.mark.commitment("C4.5")
def test_the_access_file_link_works_only_for_its_person(two_people):
    # given Ann's download link, in the hands of someone else: anonymous, Bob, a guest session
    t = two_people
    link = t["download"]
    strangers = [Client(), w.client_for("other_customer", t["people"])]
    strangers += [w.client_for(role, t["people"]) for role in w.ROLES]
    # then no one but Ann gets the file
    for client in strangers:
        response = client.get(link)
        assert response.status_code in (302, 404), response.status_code
        assert "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.commitment("C4.5")
def test_a_guest_link_opens_only_its_own_order():
    # given two guest orders and the signed link of the first
    from lookout.orders.guest import guest_token

    first, second = w.paid_order(), w.paid_order()
    token = guest_token(order=first)
    client = Client()
    # when the link is used with the second order's number, or for the second order's return page
    returns = client.post(f"/returns/guest/{token}/", {"number": second.number})
    payment = client.get(f"/checkout/return/{second.id}/", {"access": token})
    # then both are refused, and the second order's number appears nowhere
    assert returns.status_code == 404
    assert payment.status_code == 404
    assert second.number not in returns.text + payment.text


@pytest.mark.commitment("C4.5")
def test_a_cart_token_is_the_only_key_to_its_cart():
    # given a cart holding a product, and a guessed token
    people = w.make_people()
    order = w.delivered_order_of(people)
    token = w.cart_with(order.lines.first().product)
    client = Client()
    # when someone reads, changes or checks out a cart with a different token
    guess = token[:-1] + ("A" if token[-1] != "A" else "B")
    answers = [
        client.get(f"/api/v1/cart/{guess}").status_code,
        client.delete(f"/api/v1/cart/{guess}/items/{order.lines.first().product.sku}").status_code,
        client.get(f"/cart/{guess}/").status_code,
        client.get(f"/checkout/{guess}/").status_code,
    ]
    # then every answer is 404, and the real cart is untouched
    assert answers == [404, 404, 404, 404]
    assert client.get(f"/api/v1/cart/{token}").json()["items"] == 1


# ---- NUL characters -----------------------------------------------------------------------

NUL_URLS = [
    "/api/v1/products/%00",
    "/api/v1/categories/%00/products",
    "/api/v1/search?q=%00",
    "/api/v1/cart/%00",
    "/images/%00.svg",
    "/compare/?sku=%00",
    "/search/?q=%00",
    "/p/%00/",
    "/c/%00/",
    "/cart/%00/",
    "/checkout/%00/",
    "/orders/guest/%00/",
    "/privacy/download/%00/",
    "/marketing/opt-out/%00/",
]


@pytest.mark.commitment("C4.5")
def test_a_nul_character_in_any_url_is_refused():
    # given a NUL character in a path or query parameter (PostgreSQL text cannot hold one)
    from lookout.catalog import demo

    demo.load(progress=lambda message: None)
    client = Client(raise_request_exception=False)
    # when each URL is asked for, and a JSON body's SKU holds one
    answers = {url: client.get(url).status_code for url in NUL_URLS}
    in_body = client.post(
        f"/api/v1/cart/{w.cart_with(w.paid_order().lines.first().product)}/items",
        {"sku": "T-\x00", "quantity": 1},
        content_type="application/json",
    )
    # then every URL is refused with 400 before any lookup, and the SKU is an unknown product
    assert answers == dict.fromkeys(NUL_URLS, 400), answers
    assert in_body.status_code == 404
    assert in_body.json() == {"detail": "That product does not exist."}
