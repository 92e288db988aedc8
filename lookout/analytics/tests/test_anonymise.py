"""What the analytics store may keep of a request, value by value (C2.4).

The ingestion tests (test_ingest.py) prove the promise through the beacon and the raw database;
these prove each reduction on the values that sit at its edges: a token one character too
short to be taken for one, a word of exactly 30 letters, a robot, a tablet that says "mobile".
"""

from __future__ import annotations

import hashlib

import pytest

from lookout.analytics import anonymise

pytestmark = [pytest.mark.database_independent, pytest.mark.commitment("C2.4")]

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
ANY_BOT = "Mozilla/5.0 (compatible; ShopCrawlerBot/1.0)"
KINDLE_TABLET = "Mozilla/5.0 (Linux; U; en-US) AppleWebKit/528.5+ (KHTML, like Gecko) Tablet"


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test starts as a new process does: no parser built yet and no device cached, so
    what it checks is the parse itself, not an answer an earlier test left in the cache."""
    monkeypatch.setattr(anonymise, "_parser", None)
    monkeypatch.setattr(anonymise, "_devices", {})


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("  203.0.113.77  ", "203.0.113.0/24"),  # the spaces a header may carry
        ("10.1.2.255", "10.1.2.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        (None, ""),
    ],
)
def test_an_address_keeps_only_its_network(address, network):
    assert anonymise.truncate_ip(address) == network


@pytest.mark.parametrize(
    "agent, device",
    [
        (CHROME, anonymise.Device("desktop", "Chrome", "140")),
        (ANDROID_PHONE, anonymise.Device("mobile", "Chrome Mobile", "140")),
        (IPHONE, anonymise.Device("mobile", "Mobile Safari", "17")),
        (IPAD, anonymise.Device("tablet", "Mobile Safari", "17")),
        (KINDLE_TABLET, anonymise.Device("tablet", "Other", "")),
    ],
)
def test_a_user_agent_is_kept_as_its_device_class_browser_and_major_version(agent, device):
    assert anonymise.device(agent) == device
    # asked again (now from the cache) the answer is the same
    assert anonymise.device(agent) == device


def test_an_android_device_is_a_phone_unless_it_says_it_is_a_tablet():
    found = anonymise.device(ANDROID_TABLET)
    assert found is not None and found.device_class == "mobile"
    tablet = anonymise.device(ANDROID_TABLET.replace("SM-X710", "SM-X710 Tablet"))
    assert tablet is not None and tablet.device_class == "tablet"


@pytest.mark.parametrize(
    "agent",
    [
        GOOGLEBOT,
        ANY_BOT,
        # a crawler whose name says nothing of a robot: ua-parser knows it as one (a "Spider")
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        # a bot's name on a phone's user agent (ua-parser sees a Pixel, not a Spider)
        f"{ANDROID_PHONE} Telegrambot",
    ],
)
def test_robots_are_not_counted(agent):
    assert anonymise.device(agent) is None


@pytest.mark.parametrize(
    "agent, device_class",
    [
        # Firefox OS: neither iOS nor Android, but says "Mobile"
        ("Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0", "mobile"),
        # an iPad app (iOS, and no "tablet" anywhere)
        ("MyApp-iPad/5 CFNetwork/1404.0.5 Darwin/22.3.0", "tablet"),
        # ua-parser names the device an iPad although the system reads as Windows
        ("Mozilla/5.0 (iPad; U; Windows NT 10.0) Chrome/140.0", "tablet"),
    ],
)
def test_the_device_class_follows_the_device_not_only_the_system(agent, device_class):
    found = anonymise.device(agent)
    assert found is not None and found.device_class == device_class


def test_only_the_first_512_characters_of_a_user_agent_are_read():
    # a 512-character user agent ending "Firefox/12.", where one digit more would name Firefox
    start = "Mozilla/5.0 (X11; Linux x86_64; rv:1.0) Gecko/20100101 "
    first = start + " " * (512 - len(start) - len("Firefox/12.")) + "Firefox/12."
    assert len(first) == 512
    within = first[: len(start)] + first[len(start) + 1 :] + "0"  # one space less, one digit more
    assert anonymise.device(within) == anonymise.Device("desktop", "Firefox", "12")
    # whatever follows changes nothing: parsing costs the same however long the string
    assert anonymise.device(first + "0 Googlebot/2.1") == anonymise.device(first)


def test_a_browser_name_and_version_are_cut_to_their_column_widths():
    # an iOS app names itself: ua-parser keeps up to 200 characters of that name
    app = anonymise.device("Abcdefghij" * 6 + "/5 CFNetwork/1404.0.5 Darwin/22.3.0")
    assert app == anonymise.Device("mobile", "Abcdefghij" * 4, "5")
    firefox = anonymise.device(
        "Mozilla/5.0 (X11; Linux x86_64; rv:1.0) Gecko/20100101 Firefox/1234567890.0"
    )
    assert firefox == anonymise.Device("desktop", "Firefox", "12345678")


def test_a_version_that_is_not_a_number_is_not_kept():
    # ua-parser takes "beta" for Liferea's major version: only digits are kept
    found = anonymise.device("Liferea/beta.1.0 (Linux; en_US)")
    assert found == anonymise.Device("desktop", "Liferea", "")


def test_the_device_cache_stays_bounded_and_keeps_no_user_agent(monkeypatch):
    monkeypatch.setattr(anonymise, "_DEVICE_CACHE_SIZE", 3)
    agents = [f"{CHROME} Probe/{n}" for n in range(7)]
    for agent in agents:
        assert anonymise.device(agent) == anonymise.Device("desktop", "Chrome", "140")
        assert len(anonymise._devices) <= 3
    # the cache is keyed by a keyed hash: no key is, or contains, the user-agent string, and
    # nobody without the process's key can hash a user agent and find it there
    for key in anonymise._devices:
        assert isinstance(key, bytes) and len(key) == 16
        assert b"Probe" not in key and b"Chrome" not in key
    for agent in agents[-3:]:
        unkeyed = hashlib.blake2b(agent.encode(), digest_size=16).digest()
        assert unkeyed not in anonymise._devices


def test_two_user_agents_never_share_a_cached_answer():
    assert anonymise.device(IPHONE) != anonymise.device(CHROME)
    assert anonymise.device(GOOGLEBOT) is None
    assert anonymise.device(CHROME) is not None


@pytest.mark.parametrize(
    "path, kept",
    [
        ("/", "/"),
        ("", "/"),
        ("?q=1", "/"),
        ("cart/abc/", ""),  # not a path on this site
        ("/p/kestrel-cam/", "/p/kestrel-cam/"),
        ("/p/kestrel-cam", "/p/kestrel-cam/"),
        ("/c/cameras/outdoor/", "/c/cameras/outdoor/"),
        ("/search/?q=ann@example.com", "/search/"),
        ("/policies/privacy/", "/policies/privacy/"),
        ("/compare/", "/compare/"),
        ("/checkout/payment/", "/checkout/payment/"),
        # a token, an id, anything not a lower-case slug becomes "_"
        ("/cart/Zq9xxxxxxxxxx/", "/cart/_/"),
        ("/checkout/12345678-aaaa-bbbb-cccc-1234567890ab/", "/checkout/_/"),
        ("/p/" + "a" * 20 + "/", "/p/_/"),  # 20 hex-like characters: an id, not a name
        ("/p/" + "a" * 19 + "/", "/p/" + "a" * 19 + "/"),
        ("/p/" + "x" * 81 + "/", "/p/_/"),  # a slug longer than any product's name
        ("/p/" + "x" * 80 + "/", "/p/" + "x" * 80 + "/"),
        ("/p/-cam/", "/p/_/"),
        ("/p/cam_1/", "/p/_/"),
        # any other section keeps its first segment only, cut short
        ("/accounts/password/reset/mq/c4x5b6/", "/accounts/"),
        ("/orders/ORD-123/", "/orders/"),
        ("/" + "s" * 50 + "/x/", "/" + "s" * 40 + "/"),
        ("/accounts", "/accounts/"),
        ("/Xyz/abc/", "/Xyz/"),
        ("/p/cam/X", "/p/cam/_/"),
    ],
)
def test_a_path_loses_its_query_tokens_and_ids(path, kept):
    assert anonymise.clean_path(path) == kept


def test_a_cleaned_path_is_never_longer_than_its_column():
    path = "/c/" + "/".join(["abcdefghij-klmnopqrst"] * 20) + "/"
    cleaned = anonymise.clean_path(path)
    assert len(cleaned) == anonymise.MAX_PATH == 200
    assert cleaned.startswith("/c/abcdefghij-klmnopqrst/")


def test_only_a_referrer_on_this_site_is_kept_and_only_as_a_cleaned_path():
    host = "shop.example"
    assert anonymise.referrer_path("https://shop.example/p/kestrel/?x=1", host=host) == (
        "/p/kestrel/"
    )
    assert anonymise.referrer_path("https://SHOP.example/cart/Tok3n/", host=host) == "/cart/_/"
    assert anonymise.referrer_path("https://shop.example/cart/x/", host="Shop.Example") == (
        "/cart/x/"
    )
    assert anonymise.referrer_path("https://evil.example/p/kestrel/", host=host) == ""
    assert anonymise.referrer_path("/p/kestrel/", host=host) == ""  # no host: not provable
    assert anonymise.referrer_path("", host=host) == ""
    assert anonymise.referrer_path(None, host=host) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query, kept",
    [
        ("Doorbell  CAMERA", "doorbell camera"),
        ("ann@example.com doorbell", "doorbell"),
        ("doorbell 555-0100 cam2", "doorbell"),
        ("order ORD123 refund", "order refund"),
        ("x" * 31 + " cam", "cam"),  # a word longer than any word: an id or a token
        ("x" * 30 + " cam", "x" * 30 + " cam"),
        ("@", ""),
        ("", ""),
        (None, ""),
        ("\u0663 cam", "cam"),  # digits of any script
    ],
)
def test_search_words_lose_digits_addresses_and_long_tokens(query, kept):
    assert anonymise.search_terms(query) == kept


def test_search_words_are_cut_to_their_column():
    terms = anonymise.search_terms("camera " * 20)
    assert len(terms) == 60 and terms.startswith("camera camera")


@pytest.mark.parametrize(
    "value, kept",
    [
        ("KS-1", "KS-1"),
        ("ks-cam-2k", "ks-cam-2k"),
        ("A" + "B" * 31, "A" + "B" * 31),
        ("A" + "B" * 32, ""),  # longer than any SKU
        ("-KS", ""),
        ("KS 1", ""),
        ("ann@example.com", ""),
        ("", ""),
        (123, ""),
        (None, ""),
    ],
)
def test_only_a_value_shaped_like_a_sku_is_kept_as_one(value, kept):
    assert anonymise.clean_sku(value) == kept
