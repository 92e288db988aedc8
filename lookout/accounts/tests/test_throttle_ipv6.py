"""Per-IP throttles count an IPv6 client by its /64 (C4.7).

One home connection is usually given a whole /64 and may use any address in it, so a limit per
IPv6 address would let it try again from a fresh address after every refusal. IPv4 addresses are
still counted one by one.
"""

from __future__ import annotations

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.accounts import throttle
from lookout.accounts.models import User
from lookout.accounts.tests.conftest import PASSWORD, sign_in

MID_WINDOW = "2030-01-01 00:07:30"  # 2030-01-01T00:00Z is a multiple of the 900 s window


@pytest.mark.commitment("C4.7")
@pytest.mark.parametrize(
    "first, second, bucket",
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("fe80::1", "fe80::2", "fe80::/64"),
    ],
)
def test_two_addresses_in_one_ipv6_64_share_a_bucket(first, second, bucket):
    assert throttle.throttle_key_for_ip(first) == throttle.throttle_key_for_ip(second) == bucket


@pytest.mark.commitment("C4.7")
@pytest.mark.parametrize(
    "first, second",
    [
        ("2001:db8:1:2::1", "2001:db8:1:3::1"),
        ("2001:db8:1:2::1", "2001:db8:2:2::1"),
    ],
)
def test_addresses_in_different_ipv6_64s_do_not_share_a_bucket(first, second):
    assert throttle.throttle_key_for_ip(first) != throttle.throttle_key_for_ip(second)


@pytest.mark.commitment("C4.7")
def test_ipv4_addresses_are_still_counted_one_by_one():
    assert throttle.throttle_key_for_ip("203.0.113.7") == "203.0.113.7"
    assert throttle.throttle_key_for_ip("203.0.113.8") == "203.0.113.8"
    # an IPv4-mapped IPv6 address is that IPv4 client, however it connected
    assert throttle.throttle_key_for_ip("::ffff:203.0.113.7") == "203.0.113.7"


def test_no_address_is_one_bucket_of_its_own():
    assert throttle.throttle_key_for_ip("") == "unknown"
    assert throttle.throttle_key_for_ip("unix-socket") == "unix-socket"


@pytest.mark.commitment("C4.7")
def test_every_per_ip_bucket_counts_ipv6_by_its_64():
    ip_a, ip_b = "2001:db8:1:2::1", "2001:db8:1:2::2"
    builders = [
        lambda ip: throttle.login_buckets(email="a@example.com", ip=ip),
        lambda ip: throttle.otp_buckets(user_subject="s", ip=ip),
        lambda ip: throttle.reset_buckets(email="a@example.com", ip=ip),
        lambda ip: throttle.reauth_buckets(user_subject="s", ip=ip),
        lambda ip: throttle.guest_code_buckets(ip=ip),
    ]
    for build in builders:
        per_ip_a = [b for b in build(ip_a) if b.domain == "throttle-ip"]
        per_ip_b = [b for b in build(ip_b) if b.domain == "throttle-ip"]
        assert per_ip_a == per_ip_b
        assert [b.value for b in per_ip_a] == ["2001:db8:1:2::/64"]


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_rotating_addresses_within_one_64_does_not_escape_the_sign_in_limit(
    customer: User, settings
):
    # given a low per-address limit
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 4
    with freeze_time(MID_WINDOW):
        # when an attacker guesses against many accounts from a new address in its /64 each time
        for n in range(4):
            sign_in(Client(), f"guess{n}@example.com", "wrong", ip=f"2001:db8:1:2::{n + 1:x}")
        same_64 = sign_in(Client(), "ann@example.com", PASSWORD, ip="2001:db8:1:2::beef")
        # and someone else, in the next /64, signs in
        other_64 = sign_in(Client(), "ann@example.com", PASSWORD, ip="2001:db8:1:3::1")
    # then the whole /64 is refused, and the neighbour is not
    assert same_64.status_code == 429
    assert other_64.status_code == 302
