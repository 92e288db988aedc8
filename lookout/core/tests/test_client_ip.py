"""client_ip: REMOTE_ADDR, or behind trusted proxies the address the outermost one saw.

A client can write anything into X-Forwarded-For, but cannot change what a trusted proxy appends
after it; so the header is read only from a trusted proxy, and from the right.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from lookout.core.client_ip import (
    anonymous_network,
    client_ip,
    network_of,
    parse_trusted_proxies,
)

REPO = Path(__file__).resolve().parents[3]
PROXY = "10.0.0.5"
INNER_PROXY = "10.1.2.3"


def _ip(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


@pytest.fixture
def behind_proxies(settings):  # type: ignore[no-untyped-def]
    settings.LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies(f"{PROXY}, 10.1.0.0/16, fd00::/8")


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    # given the default: no proxy trusted
    settings.LOOKOUT_TRUSTED_PROXIES = ()
    # when a request says it was forwarded for someone else
    # then the connecting address is the client, whoever it is
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert _ip(PROXY, "198.51.100.1") == PROXY


def test_a_direct_client_cannot_pick_its_address_with_the_header(behind_proxies):
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert _ip("203.0.113.9", PROXY) == "203.0.113.9"


def test_from_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(behind_proxies):
    assert _ip(PROXY, "198.51.100.1") == "198.51.100.1"


def test_entries_the_client_wrote_left_of_the_proxys_are_ignored(behind_proxies):
    # given a client that sent "X-Forwarded-For: 192.0.2.1, 10.0.0.5" itself, which the proxy
    # passed on with the client's real address appended
    spoofed = f"192.0.2.1, {PROXY}, 198.51.100.1"
    # then the address the proxy appended wins
    assert _ip(PROXY, spoofed) == "198.51.100.1"


def test_a_chain_of_two_trusted_proxies_is_walked_through(behind_proxies):
    # given client → outer proxy (10.1.2.3, appends the client) → inner proxy (appends 10.1.2.3)
    assert _ip(PROXY, f"192.0.2.1, 198.51.100.1, {INNER_PROXY}") == "198.51.100.1"


def test_a_request_from_inside_the_proxies_network_is_the_leftmost_proxy(behind_proxies):
    assert _ip(PROXY, f"{INNER_PROXY}, {PROXY}") == INNER_PROXY


@pytest.mark.parametrize(
    "forwarded",
    ["", "not-an-ip", "198.51.100.1, garbage", "198.51.100.1:4711", "198.51.100.1,", "unknown"],
)
def test_a_header_that_is_not_addresses_falls_back_to_remote_addr(behind_proxies, forwarded):
    assert _ip(PROXY, forwarded) == PROXY


def test_ipv6_clients_and_proxies(behind_proxies):
    assert _ip("fd00::1", "2001:DB8:0:0::0042") == "2001:db8::42"
    assert _ip("fd00::1", "2001:db8::42, fd00::7") == "2001:db8::42"
    assert _ip("2001:db8::99", "2001:db8::42") == "2001:db8::99"


def test_addresses_are_normalised(behind_proxies):
    # an IPv4-mapped IPv6 address is the IPv4 client (one bucket however it connects); no zone
    assert _ip("::ffff:10.0.0.5", " 198.51.100.1 ") == "198.51.100.1"
    assert _ip(PROXY, "::ffff:198.51.100.1") == "198.51.100.1"
    assert _ip("2001:0db8::0001") == "2001:db8::1"
    assert _ip("fe80::1%eth0") == "fe80::1"


def test_a_proxy_listed_as_ipv4_mapped_ipv6_is_trusted(settings):
    # the proxy's address is compared after IPv4-mapped addresses became IPv4: so is the setting
    settings.LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies("::ffff:10.0.0.5, ::ffff:10.2.0.0/112")
    assert _ip("10.0.0.5", "198.51.100.1") == "198.51.100.1"
    assert _ip("10.2.0.9", "198.51.100.2") == "198.51.100.2"


def test_a_remote_addr_that_is_not_an_address_is_returned_as_it_is(behind_proxies):
    assert _ip("", "198.51.100.1") == ""
    assert _ip("unix-socket", "198.51.100.1") == "unix-socket"


def test_the_setting_takes_addresses_and_networks():
    assert [str(n) for n in parse_trusted_proxies(" 10.0.0.5, ,10.1.0.0/16,fd00::/8 ")] == [
        "10.0.0.5/32",
        "10.1.0.0/16",
        "fd00::/8",
    ]
    assert parse_trusted_proxies("") == ()


@pytest.mark.parametrize(
    "raw", ["10.0.0.300", "proxy.internal", "10.0.0.1/24", "10.0.0.5;10.0.0.6"]
)
def test_a_bad_entry_is_named_in_the_error(raw):
    with pytest.raises(ValueError, match="LOOKOUT_TRUSTED_PROXIES") as error:
        parse_trusted_proxies(f"10.0.0.5,{raw}")
    assert repr(raw) in str(error.value)


def test_a_bad_setting_stops_the_settings_from_loading(tmp_path: Path):
    # given a typo in the environment
    env = {**os.environ, "LOOKOUT_VAR_DIR": str(tmp_path), "LOOKOUT_TRUSTED_PROXIES": "10.0.0.x"}
    # when the settings load, as at every start
    result = subprocess.run(
        [sys.executable, "-c", "import lookout.settings"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # then the process stops with a message that names the setting and the entry
    assert result.returncode != 0
    assert "ImproperlyConfigured: LOOKOUT_TRUSTED_PROXIES: '10.0.0.x'" in result.stderr


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:3456:789a:bcde:f012", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("fe80::1%eth0", "fe80::/48"),
        # 6to4: the site's IPv4 address is bits 16-48, so /48 would keep all of it
        ("2002:cb00:7101::1", "2002:cb00:7100::/40"),
        (" 2001:db8::1 ", "2001:db8::/48"),
    ],
)
def test_anonymous_network_is_what_analytics_and_logs_may_keep(address, network):
    assert str(anonymous_network(address)) == network


@pytest.mark.parametrize("address", ["", "not an ip", "18:34:50", "1.2.3.4/24", "::ffff:1.2.3"])
def test_anything_but_an_address_has_no_network(address):
    assert anonymous_network(address) is None
    assert network_of(address, ipv4_prefix=32, ipv6_prefix=64) is None


def test_network_of_takes_each_versions_prefix():
    assert str(network_of("203.0.113.77", ipv4_prefix=32, ipv6_prefix=64)) == "203.0.113.77/32"
    assert str(network_of("2001:db8:1:2::9", ipv4_prefix=32, ipv6_prefix=64)) == "2001:db8:1:2::/64"
    assert str(network_of("2002:cb00:7101::1", ipv4_prefix=32, ipv6_prefix=64)) == (
        "2002:cb00:7101::/48"
    )
