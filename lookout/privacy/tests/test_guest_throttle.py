"""Starting guest challenges is rate-limited per (email, order) and per IP (C4.5, C6.1).

Each challenge emails a code and allows a few guesses; without a limit on starting them the
code space could be worked through one fresh challenge at a time. The limit counts every start,
so a 429 never tells whether the email and order match.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from lookout.core.client_ip import parse_trusted_proxies
from lookout.privacy.models import GuestChallenge, Kind
from lookout.privacy.tests.conftest import GUEST_EMAIL
from lookout.testing.raw import raw_rows

pytestmark = pytest.mark.django_db

MID_WINDOW = "2030-01-01 00:07:30"  # 2030-01-01T00:00Z is a multiple of the 900 s window


def _page(response, email: str) -> str:  # type: ignore[no-untyped-def]
    """The page without what differs by design: the echoed email, nonces and CSRF tokens."""
    html = response.content.decode().replace(email, "X")
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", html)


def _start(client: Client, *, email: str, number: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/privacy/guest/", {"email": email, "order_number": number, "kind": Kind.ACCESS}
    )


@pytest.mark.commitment("C4.5", "C6.1")
def test_challenges_for_one_email_and_order_stop_with_429_and_retry_after(guest_order):
    # given a guest's order, and someone starting challenge after challenge for it
    limit = settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
    client = Client()
    with freeze_time(MID_WINDOW):
        answers = [
            _start(client, email=GUEST_EMAIL, number=guest_order.number) for _ in range(limit + 2)
        ]
    # then the first `limit` are answered, the rest refused with a wait and a plain message
    assert [a.status_code for a in answers] == [200] * limit + [429, 429]
    assert answers[-1]["Retry-After"] == "450"
    assert "Too many code requests; try again in 8 minutes." in answers[-1].content.decode()
    # and no challenge was made nor code sent for the refused ones
    assert GuestChallenge.objects.count() == limit
    assert len(mail.outbox) == limit


@pytest.mark.commitment("C4.5", "C6.1")
def test_the_limit_counts_alike_whether_or_not_the_order_exists(guest_order):
    # given the real email and order, and an email that does not match it, from two clients
    limit = settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
    real = Client(REMOTE_ADDR="192.0.2.10")
    fake = Client(REMOTE_ADDR="192.0.2.20")
    with freeze_time(MID_WINDOW):
        real_answers = [
            _start(real, email=GUEST_EMAIL, number=guest_order.number) for _ in range(limit + 1)
        ]
        fake_answers = [
            _start(fake, email="nobody.here@example.com", number=guest_order.number)
            for _ in range(limit + 1)
        ]
    # then both are cut off at the same count, with the same refusal
    assert [a.status_code for a in real_answers] == [a.status_code for a in fake_answers]
    assert real_answers[-1].status_code == 429
    assert real_answers[-1]["Retry-After"] == fake_answers[-1]["Retry-After"]
    assert _page(real_answers[-1], GUEST_EMAIL) == _page(
        fake_answers[-1], "nobody.here@example.com"
    )


@pytest.mark.commitment("C4.5")
def test_one_ip_is_cut_off_across_many_orders_while_another_ip_goes_on(guest_order):
    # given one IP starting challenges for a different order number each time
    limit = settings.LOOKOUT_LOGIN_LIMIT_PER_IP
    sprayer = Client(REMOTE_ADDR="192.0.2.30")
    with freeze_time(MID_WINDOW):
        answers = [
            _start(sprayer, email=GUEST_EMAIL, number=f"LK-SPRAY{n:03d}").status_code
            for n in range(limit + 1)
        ]
        # when someone else, from another IP, asks for their own order
        other = _start(
            Client(REMOTE_ADDR="192.0.2.40"), email=GUEST_EMAIL, number=guest_order.number
        )
    # then the sprayer is refused after the IP limit, and the other guest is not
    assert answers == [200] * limit + [429]
    assert other.status_code == 200


def test_counter_keys_hold_neither_the_email_nor_the_ip(guest_order):
    # given a started challenge from a known IP
    Client(REMOTE_ADDR="192.0.2.50").post(
        "/privacy/guest/",
        {"email": GUEST_EMAIL, "order_number": guest_order.number, "kind": Kind.ACCESS},
    )
    # when the attempt limiter's counter table is read raw
    keys = repr(raw_rows("accounts_attemptcount"))
    # then the limiter counted it (per email and order, per IP), under digests only
    assert len(raw_rows("accounts_attemptcount")) >= 2
    assert GUEST_EMAIL not in keys and "192.0.2.50" not in keys


def _start_from(remote: str, forwarded: str, *, number: str):  # type: ignore[no-untyped-def]
    """A challenge start arriving from `remote` with the X-Forwarded-For header `forwarded`."""
    return Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded).post(
        "/privacy/guest/", {"email": GUEST_EMAIL, "order_number": number, "kind": Kind.ACCESS}
    )


@pytest.mark.commitment("C4.5")
def test_behind_a_trusted_proxy_each_guest_has_their_own_address_limit(guest_order, settings):
    # given a trusted proxy, and a low per-address limit
    settings.LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.5")
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 3
    with freeze_time(MID_WINDOW):
        # when one guest sprays order numbers through the proxy (forging a left entry)
        sprayer = [
            _start_from("10.0.0.5", "192.0.2.1, 198.51.100.1", number=f"LK-SPRAY{n:03d}")
            for n in range(4)
        ]
        # and another guest, through the same proxy, asks for their own order
        other = _start_from("10.0.0.5", "198.51.100.2", number=guest_order.number)
        # and a client reaching the app directly forges a new forwarded address on every try
        direct = [
            _start_from("203.0.113.7", f"198.51.100.{10 + n}", number=f"LK-FORGE{n:03d}")
            for n in range(4)
        ]
    # then the sprayer is refused after the limit, the other guest is not
    assert [a.status_code for a in sprayer] == [200, 200, 200, 429]
    assert other.status_code == 200
    # and the direct client's header bought it no fresh limit
    assert [a.status_code for a in direct] == [200, 200, 200, 429]


@pytest.mark.commitment("C4.5")
def test_an_ipv6_client_cannot_escape_the_address_limit_by_rotating_within_its_64(
    guest_order, settings
):
    # given a low per-address limit
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 3
    with freeze_time(MID_WINDOW):
        # when one guest sprays order numbers from a new address in its /64 each time
        sprayer = [
            _start(
                Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"),
                email=GUEST_EMAIL,
                number=f"LK-SPRAY{n:03d}",
            )
            for n in range(4)
        ]
        # and a guest in the next /64 asks for their own order
        other = _start(
            Client(REMOTE_ADDR="2001:db8:1:3::1"), email=GUEST_EMAIL, number=guest_order.number
        )
    # then the whole /64 is refused after the limit, and the neighbour is not
    assert [a.status_code for a in sprayer] == [200, 200, 200, 429]
    assert other.status_code == 200
