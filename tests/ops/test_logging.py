"""Logs never carry personal data in plaintext: the configured handler masks it (C2.3 for cards).

The record goes through the real handler built from settings.LOGGING in a process of its own, so
what is asserted is exactly what would reach stderr (and a log shipper) in that profile.
"""

from __future__ import annotations

import json

import pytest

from tests.ops.conftest import clean_env

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

# Fictitious values: a reserved-domain email, the standard Visa test number, a UK drama-range
# phone number and a documentation-range IPv4 address.
EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"
PHONE = "+44 20 7946 0958"
IP = "203.0.113.77"

LOG_A_RECORD = f"""
import django, logging
django.setup()
log = logging.getLogger("lookout.orders")
try:
    raise ValueError("payment refused for {EMAIL} card {CARD_DIGITS} phone {PHONE} ip {IP}")
except ValueError:
    log.exception(
        "checkout by {EMAIL} from {IP}: card %s, phone %s, contact %s, client %s",
        "{CARD}", "{PHONE}", "{EMAIL}", "{IP}",
    )
"""


def _assert_masked(output: str) -> None:
    for value in (EMAIL, CARD, CARD_DIGITS, PHONE, IP, "7946 0958"):
        assert value not in output
    assert "[email]" in output
    assert "[number]" in output
    assert "203.0.113.0" in output  # truncated to /24, still useful for operators


@pytest.mark.commitment("C2.3")
def test_production_logs_are_one_masked_json_object_per_line(production_env, run_python):
    # given the production profile and its configured log handler
    # when a record carries personal data in its message, its arguments and its traceback
    result = run_python(LOG_A_RECORD, env=production_env)

    # then stderr holds JSON lines only, and none of them carries a personal value
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "lookout.orders"
    assert "ValueError" in entry["exception"]
    assert "[email]" in entry["exception"]
    _assert_masked(result.stderr)


@pytest.mark.commitment("C2.3")
def test_development_logs_are_masked_too(tmp_path, run_python):
    # given the development profile (plain text lines, DEBUG on)
    env = clean_env(tmp_path, LOOKOUT_ENV="development")

    # when the same record is logged
    result = run_python(LOG_A_RECORD, env=env)

    # then the plain-text output is masked the same way, traceback included
    assert result.returncode == 0, result.stderr
    assert "Traceback" in result.stderr
    _assert_masked(result.stderr)


def test_django_request_errors_go_through_the_masking_handler(production_env, run_python):
    # given production settings, where Django's own handlers would bypass the filter
    code = """
import django, logging
django.setup()
logging.getLogger("django.request").warning("Not Found: /orders?email=jane.doe@example.com")
"""
    # when Django logs a request problem carrying an email in the path
    result = run_python(code, env=production_env)

    # then it comes out once, as masked JSON
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "Not Found: /orders?email=[email]"


def test_production_logs_cut_ipv6_addresses_to_their_48(production_env, run_python):
    # given production settings and a record naming IPv6 clients in its message, its arguments
    # (bracketed with a port, with a zone id) and its traceback
    code = """
import django, logging
django.setup()
log = logging.getLogger("lookout.accounts")
try:
    raise ValueError("refused 2001:db8:1234:5678::9")
except ValueError:
    log.exception("sign-in from %s via %s", "[2001:db8:1234:5678::1]:443", "fe80::1:2:3:4%eth0")
"""
    # when it is logged through the configured handler
    result = run_python(code, env=production_env)

    # then each address is cut to its /48, nothing below it is left
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip())
    assert entry["message"] == "sign-in from [2001:db8:1234::]:443 via fe80::"
    assert "refused 2001:db8:1234::" in entry["exception"]
    assert "5678" not in result.stderr and "1:2:3:4" not in result.stderr


INFRA_RECORD = """
import django, logging
django.setup()
log = logging.getLogger("lookout.core")
try:
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
except ConnectionError:
    log.exception(
        "redis %s down; db %s; proxy %s; cache [%s]:11211; visitor %s and %s",
        "127.0.0.1:6379", "10.20.0.7:5432", "192.0.2.10", "::1", "203.0.113.77",
        "2001:db8:1234:5678::9",
    )
"""


def test_logs_keep_the_stores_own_addresses_and_mask_visitors(production_env, run_python):
    # given production with its own machines named: a database network and the proxy
    production_env["LOOKOUT_INFRA_NETWORKS"] = "10.20.0.0/24"
    production_env["LOOKOUT_TRUSTED_PROXIES"] = "192.0.2.10"

    # when a record names loopback, a database server, the proxy and two visitors
    result = run_python(INFRA_RECORD, env=production_env)

    # then the store's own addresses are logged whole, so an operator knows where to look
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip())
    assert entry["message"] == (
        "redis 127.0.0.1:6379 down; db 10.20.0.7:5432; proxy 192.0.2.10; cache [::1]:11211; "
        "visitor 203.0.113.0 and 2001:db8:1234::"
    )
    assert "connecting to 127.0.0.1:6379" in entry["exception"]
    # and the visitors' addresses are still cut to their networks
    assert "203.0.113.77" not in result.stderr and "5678" not in result.stderr


def test_an_address_next_to_an_infrastructure_network_is_still_masked(production_env, run_python):
    # given a database network 10.20.0.0/24 and no proxies
    production_env["LOOKOUT_INFRA_NETWORKS"] = "10.20.0.0/24"
    code = """
import django, logging
django.setup()
logging.getLogger("lookout.accounts").warning("sign-in from 10.20.1.9 and 128.0.0.1")
"""
    # when addresses just outside it (and just outside loopback) are logged
    result = run_python(code, env=production_env)

    # then they are a visitor's: masked
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip())["message"] == "sign-in from 10.20.1.0 and 128.0.0.0"


def test_a_malformed_infrastructure_network_stops_the_process(production_env, run_python):
    production_env["LOOKOUT_INFRA_NETWORKS"] = "10.20.0.0/24,db-host"
    result = run_python("import django; django.setup()", env=production_env)
    assert result.returncode != 0
    assert "LOOKOUT_INFRA_NETWORKS: 'db-host' is not an IP address or network" in result.stderr
