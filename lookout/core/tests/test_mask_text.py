import logging
import sys

import pytest

from lookout.core.logging import PersonalDataFilter, mask_text

pytestmark = pytest.mark.database_independent


def test_bearer_tokens_in_urls_are_masked() -> None:
    line = (
        "GET /cart/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd/update/?cart=AbCdEfGhIjKlMnOpQr 400"
    )
    masked = mask_text(line)
    assert "AbCdEfGhIjKlMnOp" not in masked
    assert masked == "GET /cart/[token]/update/?cart=[token] 400"


def test_uuids_are_not_mistaken_for_card_numbers() -> None:
    target = "accounts.User:52575325-2357-452c-87c1-4b49d507289c"
    assert mask_text(target) == target


def test_card_numbers_with_or_without_separators_are_masked() -> None:
    for card in ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242"):
        assert mask_text(f"paid with {card}.") == "paid with [number]."


@pytest.mark.parametrize(
    "line, masked",
    [
        ("from 2001:db8:1234:5678::1 ok", "from 2001:db8:1234:: ok"),
        ("from 2001:0DB8:1234:5678:9abc:def0:1234:5678.", "from 2001:db8:1234::."),
        (
            "GET http://[2001:db8:1234:5678::1]:8080/p/ 200",
            "GET http://[2001:db8:1234::]:8080/p/ 200",
        ),
        ("peer [2001:db8:1234::42]", "peer [2001:db8:1234::]"),
        ("link-local fe80::1:2:3:4%eth0 up", "link-local fe80:: up"),
        ("ip:2001:db8:1234:5678::1", "ip:2001:db8:1234::"),
        ("remote=2001:db8:abcd:12::7, next", "remote=2001:db8:abcd::, next"),
        ("mapped ::ffff:198.51.100.77 in", "mapped 198.51.100.0 in"),
        ("::FFFF:198.51.100.77", "198.51.100.0"),
        ("loopback ::1", "loopback ::"),
        # 6to4 carries the site's IPv4 address in bits 16-48: cut like that IPv4 address (/24)
        ("6to4 2002:cb00:7101::1", "6to4 2002:cb00:7100::"),
        # an address followed by a colon, or by a port without brackets
        ("from 2001:db8:1234:5678::1: reset", "from 2001:db8:1234::: reset"),
        ("ip 2001:db8:1234:5678:9abc:def0:1234:5678:", "ip 2001:db8:1234:::"),
        ("v6 2001:db8:1234:5678:9abc:def0:1234:5678:80", "v6 2001:db8:1234:::80"),
        # nine groups are an address and a port, not text to keep (it used to be kept whole)
        ("2001:db8:1:2:3:4:5:6:7", "2001:db8:1:::7"),
        # glued to a name by an underscore
        ("addr_2001:db8:1234:5678::1", "addr_2001:db8:1234::"),
    ],
)
def test_ipv6_addresses_are_cut_to_their_48(line, masked):
    assert mask_text(line) == masked


def test_a_masked_ipv6_address_keeps_nothing_below_its_48():
    masked = mask_text("2001:db8:1234:5678:9abc:def0:1234:5678")
    assert masked == "2001:db8:1234::"
    assert "5678" not in masked and "9abc" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "18:34:50",
        "at 18:34:50.123456",
        "2030-01-01T18:34:50.123456+00:00",
        "2030-01-01 18:34:50,123 INFO",
        "::",
        "a :: b",
        "mac 00:1a:2b:3c:4d:5e",
        # a key fingerprint: its last eight groups alone would parse as IPv6
        "SHA256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "accounts.User:52575325-2357-452c-87c1-4b49d507289c",
        "order:52575325-2357-452c-87c1-4b49d507289c:placed",
        "ratio 1:2:3",
        "std::vector::push_back",
        "deadbeef:cafe",
    ],
)
def test_text_that_only_looks_like_ipv6_is_left_alone(text):
    assert mask_text(text) == text


def test_the_log_filter_masks_ipv6_in_messages_arguments_and_tracebacks():
    # given a record that carries IPv6 addresses in its arguments and its exception
    try:
        raise ValueError("refused 2001:db8:1234:5678::9")
    except ValueError:
        record = logging.LogRecord(
            "lookout.test",
            logging.WARNING,
            __file__,
            1,
            "from %s",
            ("[2001:db8:1234:5678::1]:443",),
            sys.exc_info(),
        )
    # when the filter runs, as on every handler
    PersonalDataFilter().filter(record)
    # then neither address is left whole anywhere in what would be written
    assert record.getMessage() == "from [2001:db8:1234::]:443"
    assert record.exc_text is not None
    assert "refused 2001:db8:1234::" in record.exc_text
    assert "5678" not in record.getMessage() + record.exc_text
