"""What reaches a log line: personal values masked, the store's own addresses kept (C2.3).

tests/ops/test_logging.py proves this through the configured handler in a process of its own;
these run the same filter and formatter in this process, through Python's logging, so that a
change to them fails here too (`make mutation` only sees tests run in-process: decision 0039).
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging

import pytest

from lookout.core.logging import LOOPBACK, JsonFormatter, PersonalDataFilter, mask_text

INFRA = ipaddress.ip_network("10.20.0.0/24")
LINK_LOCAL = ipaddress.ip_network("fe80::/10")
RUN = "0123456789ABCDEF:1111:2222:3333:4444:5555:6666:7777:8888"


@pytest.fixture
def log_line():
    """Log through a handler built as settings.LOGGING builds it (the masking filter and the JSON
    formatter) and return what it wrote, one JSON object per record."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("lookout.test_log_masking")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def write(level, message, *args, exc_info=None):
        logger.log(level, message, *args, exc_info=exc_info)
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    write.stream = stream  # type: ignore[attr-defined]
    yield write
    logger.removeHandler(handler)


def test_a_log_line_is_one_json_object_with_time_level_logger_and_message(log_line):
    lines = log_line(logging.WARNING, "Zoë's order %s shipped", "LK-1")

    assert len(lines) == 1
    entry = lines[0]
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["time"].endswith("+00:00")
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "lookout.test_log_masking"
    assert entry["message"] == "Zoë's order LK-1 shipped"
    assert "Zoë" in log_line.stream.getvalue()  # readable as written, not \u-escaped


@pytest.mark.commitment("C2.3")
def test_personal_values_in_arguments_and_tracebacks_are_masked(log_line):
    try:
        raise ValueError("refused for jane@example.com from 203.0.113.77, card 4242424242424242")
    except ValueError as exc:
        lines = log_line(
            logging.ERROR,
            "by %s, phone %s, card %s",
            "jane@example.com",
            "+44 20 7946 0958",
            "4242 4242 4242 4242",
            exc_info=exc,
        )

    (entry,) = lines
    assert entry["message"] == "by [email], phone [phone], card [number]"
    assert "refused for [email] from 203.0.113.0, card [number]" in entry["exception"]
    assert "jane@example.com" not in json.dumps(entry)
    assert "4242 4242" not in json.dumps(entry) and "42424242" not in json.dumps(entry)


def test_a_record_that_cannot_be_formatted_is_still_written_masked(log_line):
    (entry,) = log_line(logging.WARNING, "order %d for jane@example.com", "not-a-number")

    assert entry["message"] == "order %d for [email]"


def test_a_record_without_an_exception_has_no_exception_field(log_line):
    (entry,) = log_line(logging.INFO, "started")

    assert "exception" not in entry


def test_the_stores_own_addresses_are_kept_and_visitors_masked(log_line, settings):
    settings.LOOKOUT_INFRA_NETWORKS = (INFRA,)
    settings.LOOKOUT_TRUSTED_PROXIES = (ipaddress.ip_network("192.0.2.10/32"),)
    try:
        raise ConnectionError("connecting to 127.0.0.1:6379 for 203.0.113.77")
    except ConnectionError as exc:
        lines = log_line(
            logging.ERROR,
            "db %s proxy %s cache %s visitor %s",
            "10.20.0.7:5432",
            "192.0.2.10",
            "[::1]:11211",
            "10.21.0.7",
            exc_info=exc,
        )

    (entry,) = lines
    assert (
        entry["message"] == "db 10.20.0.7:5432 proxy 192.0.2.10 cache [::1]:11211 visitor 10.21.0.0"
    )
    assert "connecting to 127.0.0.1:6379 for 203.0.113.0" in entry["exception"]


@pytest.mark.parametrize(
    "text, masked",
    [
        # loopback and the networks to keep, in every form an address is written
        ("redis 127.0.0.1:6379", "redis 127.0.0.1:6379"),
        ("cache ::1 and [::1]:11211", "cache ::1 and [::1]:11211"),
        ("db 10.20.0.7 and ::ffff:10.20.0.7", "db 10.20.0.7 and ::ffff:10.20.0.7"),
        ("link fe80::1%eth0 up", "link fe80::1%eth0 up"),
        # also right after a colon that only separates it from a name ("conn_:")
        ("conn_:fe80::7 up", "conn_:fe80::7 up"),
        # a visitor next to them is masked, an IPv4-mapped one to its IPv4 /24
        ("db 10.21.0.7 and ::ffff:10.21.0.7", "db 10.21.0.0 and 10.21.0.0"),
        ("from 2001:db8:1234:5678::1", "from 2001:db8:1234::"),
        ("conn_:2001:db8:1234:5678::1 up", "conn_:2001:db8:1234:: up"),
        # a dotted quad that is no address is cut all the same: when in doubt, mask
        ("version 300.1.2.3", "version 300.1.2.0"),
    ],
)
def test_only_the_networks_to_keep_are_left_whole(text, masked):
    assert mask_text(text, keep=(*LOOPBACK, INFRA, LINK_LOCAL)) == masked


def test_without_networks_to_keep_every_address_is_masked():
    assert (
        mask_text("redis 127.0.0.1:6379 cache [::1]:11211")
        == "redis 127.0.0.0:6379 cache [::]:11211"
    )


@pytest.mark.parametrize(
    "text, masked",
    [
        # an unbracketed address and port: the address masked, the port (at most 5 digits) kept
        ("from 2001:db8:1234:5678::1:50123 x", "from 2001:db8:1234:::50123 x"),
        # nine groups are no address, whatever the last one: left as they are
        ("odd 2001:db8:1234:5678:9:a:b:c:123456 x", "odd 2001:db8:1234:5678:9:a:b:c:123456 x"),
        ("odd 2001:db8:1234:5678:9:a:b:c:beef x", "odd 2001:db8:1234:5678:9:a:b:c:beef x"),
        # a key fingerprint's last eight groups parse as IPv6, but it is no address
        (
            "key AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89 ok",
            "key AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89 ok",
        ),
        (
            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
        ),
        # a run of hex and colons longer than an address is a fingerprint or a hash, even when
        # its last eight groups parse as one, unless it begins right after a word
        (RUN, RUN),
        (f"key {RUN} ok", f"key {RUN} ok"),
        (f"-{RUN}", f"-{RUN}"),
        (f"xy-{RUN[1:]}", f"xy-{RUN[1:]}"),
        (f"id:{RUN}", "id:0123456789ABCDEF:1111:2222:3333::"),
        (f"id_{RUN}", "id_0123456789ABCDEF:1111:2222:3333::"),
        # an address written right after a word and a colon is one
        ("x:1111:2222:3333:4444:5555:6666:7777:8888", "x:1111:2222:3333::"),
        ("ip:2001:db8:1234:5678::1", "ip:2001:db8:1234::"),
        ("2001:db8:1234:5678::1 first", "2001:db8:1234:: first"),
        ("2001:db8:1234:5678::1 said:", "2001:db8:1234:: said:"),
    ],
)
def test_ipv6_runs_are_masked_only_when_they_are_addresses(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("id_:1111:2222:3333:4444:5555:6666:7777:8888", "id_:1111:2222:3333::"),
        ("from :2001:db8:1234:5678::1 again", "from :2001:db8:1234:: again"),
        ("-:2001:db8:1234:5678::1", "-:2001:db8:1234::"),
    ],
)
def test_an_ipv6_address_after_a_separating_colon_is_cut_to_its_network(text, masked):
    # (found by mutation testing: a colon before the address kept the whole address in the log)
    assert mask_text(text) == masked
    assert "5678" not in mask_text(text) and "8888" not in mask_text(text)
