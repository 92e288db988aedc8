"""What a cookie choice decides (C7.3, C7.5): each choice leaves a receipt naming the banner
text and the privacy policy in force; the consent cookie a real response sets carries exactly
that choice to the next page, and a cookie the site did not write (garbled, of another format,
edited by hand) grants nothing: the banner asks again and no optional script is loaded. Under
Global Privacy Control the cookie written grants nothing either. A third-party script is
registered only with a full http(s) address, and the operator is told why one is refused."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.admin.sites import site
from django.core.signing import Signer
from django.test import Client, RequestFactory
from freezegun import freeze_time

from lookout.consent import banner
from lookout.consent.admin import ThirdPartyScriptForm
from lookout.consent.cookies import CONSENT_COOKIE, Category
from lookout.consent.models import ConsentReceipt, ThirdPartyScript
from lookout.consent.services import ConsentError, cookie_value, parse_cookie, register_script
from lookout.policies.initial import LAUNCHED_AT, initial_text
from lookout.policies.services import publish_version

pytestmark = pytest.mark.django_db

STATS = "https://stats.example.org/s.js"
PIXEL = "https://pixel.example.net/p.js"
NO_CHOICE = "You have not made a choice yet"


@pytest.fixture
def vendor_scripts() -> None:
    """One registered script per optional category."""
    register_script(name="Stats", category="analytics", src=STATS)
    register_script(name="Pixel", category="marketing", src=PIXEL)


def _choose(client: Client, **data: str):
    response = client.post("/cookies/choice/", {"next": "/", **data})
    assert response.status_code == 302
    return response


def _loaded(html: str) -> set[str]:
    """The optional categories whose scripts the page loads."""
    return set(
        re.findall(r'<script src="[^"]+" defer nonce="[^"]*" data-consent-category="(\w+)"', html)
    )


# --- the receipt names what the visitor was shown ---------------------------------------------


def test_each_receipt_names_the_privacy_policy_in_force_when_the_choice_was_made():
    # given the privacy policy's first version in force
    client = Client()
    _choose(client, choice="reject")
    before = ConsentReceipt.objects.get()
    assert before.privacy_policy_version == 1
    assert before.banner_version == banner.version()

    # when a second privacy version takes effect (and the refund policy moves further on)
    publish_version(document="privacy", text=initial_text("privacy") + "\n\nA new paragraph.")
    publish_version(document="refund", text=initial_text("refund") + "\n\nMore.")
    publish_version(document="refund", text=initial_text("refund") + "\n\nMore still.")
    _choose(client, choice="accept")

    # then the new receipt names privacy version 2, and the first one still names version 1
    after = ConsentReceipt.objects.exclude(pk=before.pk).get()
    assert after.privacy_policy_version == 2
    before.refresh_from_db()
    assert before.privacy_policy_version == 1


def test_a_choice_made_before_any_privacy_policy_is_in_force_is_still_recorded():
    # given a moment before the store's first privacy policy took effect
    with freeze_time(datetime(2026, 8, 1, tzinfo=UTC)):
        assert datetime.now(UTC) < LAUNCHED_AT
        client = Client()
        # when a visitor rejects
        response = _choose(client, choice="reject")
    # then the choice is saved, its receipt names no privacy version, and the cookie holds it
    receipt = ConsentReceipt.objects.get()
    assert receipt.privacy_policy_version is None
    assert receipt.method == ConsentReceipt.Method.REJECT_ALL
    assert receipt.id.hex in response.cookies[CONSENT_COOKIE].value


# --- the cookie a real response sets carries the choice to the next page ----------------------


@pytest.mark.parametrize(
    ("form", "allowed"),
    [
        ({"choice": "accept"}, {"analytics", "marketing"}),
        ({"choice": "reject", "analytics": "on", "marketing": "on"}, set()),
        ({"choice": "save", "analytics": "on"}, {"analytics"}),
        ({"choice": "save", "marketing": "on"}, {"marketing"}),
        ({"choice": "save"}, set()),
    ],
)
def test_the_next_page_loads_exactly_the_categories_chosen(vendor_scripts, form, allowed):
    client = Client()
    # when the visitor makes a choice
    _choose(client, **form)
    receipt = ConsentReceipt.objects.get()
    # then the next page shows no banner and loads the scripts of the chosen categories only
    html = client.get("/").content.decode()
    assert 'id="consent-banner"' not in html
    assert _loaded(html) == allowed
    # ... and the cookie page shows the receipt the choice was written as
    page = client.get("/cookies/").content.decode()
    assert str(receipt.id) in page and NO_CHOICE not in page
    assert set(receipt.categories) == {"strictly_necessary", *allowed}


def test_a_choice_under_global_privacy_control_grants_nothing_on_later_pages(vendor_scripts):
    # given a browser sending GPC while a form asks for analytics and marketing
    client = Client()
    response = client.post(
        "/cookies/choice/",
        {"next": "/", "choice": "save", "analytics": "on", "marketing": "on"},
        HTTP_SEC_GPC="1",
    )
    assert response.status_code == 302
    assert ConsentReceipt.objects.get().method == ConsentReceipt.Method.GPC
    # then even a later page without the signal loads nothing optional
    html = client.get("/").content.decode()
    assert _loaded(html) == set()
    assert 'id="consent-banner"' not in html  # the choice (reject) is remembered


def test_every_choice_allows_what_the_site_needs_and_no_category_it_does_not_name():
    for form in ({"choice": "reject"}, {"choice": "accept"}):
        response = Client().post("/cookies/choice/", {"next": "/", **form})
        choice = parse_cookie(response.cookies[CONSENT_COOKIE].value)
        assert choice is not None
        receipt = ConsentReceipt.objects.get(pk=choice.receipt_id)
        assert (choice.analytics, choice.marketing) == (receipt.analytics, receipt.marketing)
        # strictly necessary cookies need no consent, whatever the choice
        assert choice.allows(Category.STRICTLY_NECESSARY)
        assert choice.allows("strictly_necessary")
        # a category the choice does not name (a purpose added later) is never allowed
        for unknown in ("personalisation", "", "ANALYTICS", "analytics "):
            assert not choice.allows(unknown), (form, unknown)
    accepted = parse_cookie(response.cookies[CONSENT_COOKIE].value)
    assert accepted is not None
    assert accepted.allows(Category.ANALYTICS) and accepted.allows(Category.MARKETING)


# --- a cookie the site did not write grants nothing -------------------------------------------

HEX = uuid.uuid4().hex
TAMPERED = [
    "",
    "garbage",
    "1",
    f"1.{HEX}",
    f"1.{HEX}.a1",  # a part missing
    f"1.{HEX}.a1.m1.m1",  # a part too many
    f"1.{HEX}.a1.m1.",
    f"2.{HEX}.a1.m1",  # another format version
    f"0.{HEX}.a1.m1",
    f".{HEX}.a1.m1",
    f"1.{HEX[:31]}.a1.m1",  # receipt id too short
    f"1.{HEX}0.a1.m1",  # too long
    f"1.{'g' * 32}.a1.m1",  # 32 characters, not hex
    f"1.{HEX[:28]}----.a1.m1",
    f"1.{HEX}.a1.m2",  # analytics well formed, marketing not
    f"1.{HEX}.a2.m1",  # marketing well formed, analytics not
    f"1.{HEX}.a1.",
    f"1.{HEX}.A1.M1",
    f"1.{HEX}.m1.a1",
    f"1.{HEX}.yes.yes",
]


def _with_last_character_changed(value: str) -> str:
    return value[:-1] + ("B" if value.endswith("A") else "A")


def _signed(value: str, salt: str = "lookout.consent.cookie") -> str:
    """`value` signed as the store signs its consent cookie (with the site's secret key)."""
    return Signer(salt=salt).sign(value)


@pytest.mark.parametrize("value", TAMPERED)
def test_a_cookie_not_in_this_releases_format_grants_no_consent(vendor_scripts, value):
    """Even signed with the store's key (another release's format, after a roll-back)."""
    value = _signed(value)
    client = Client()
    client.cookies[CONSENT_COOKIE] = value
    # the next page asks again and loads no optional script
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="consent-banner"' in html
    assert _loaded(html) == set() and STATS not in html and PIXEL not in html
    # ... and the cookie page says no choice was made
    page = client.get("/cookies/")
    assert page.status_code == 200 and NO_CHOICE in page.content.decode()
    assert parse_cookie(value) is None


@pytest.mark.commitment("C7.3")
@pytest.mark.parametrize(
    "value",
    [
        f"1.{HEX}.a1.m1",  # well formed, not signed: typed in, or set from a neighbouring site
        _signed(f"1.{HEX}.a1.m1", salt="another.purpose"),  # the store's key, another use
        Signer().sign(f"1.{HEX}.a1.m1"),  # the store's key, Django's default salt
        _with_last_character_changed(_signed(f"1.{HEX}.a1.m1")),  # a signature changed
        _signed(f"1.{HEX}.a0.m0").replace(".a0.m0", ".a1.m1"),  # the choice changed
    ],
)
def test_a_consent_cookie_the_store_did_not_sign_grants_nothing(vendor_scripts, value):
    client = Client()
    client.cookies[CONSENT_COOKIE] = value
    html = client.get("/").content.decode()
    assert 'id="consent-banner"' in html
    assert _loaded(html) == set() and STATS not in html and PIXEL not in html
    assert parse_cookie(value) is None


def test_a_choice_saved_before_an_upgrade_is_still_honoured(vendor_scripts):
    """The cookie's signing is a format: a visitor's choice, written by this release as
    `1.<receipt>.a<0|1>.m<0|1>` signed with the site's key under the salt
    "lookout.consent.cookie", opens the same categories after the next upgrade."""
    client = Client()
    client.cookies[CONSENT_COOKIE] = _signed(f"1.{HEX}.a1.m0")
    html = client.get("/").content.decode()
    assert 'id="consent-banner"' not in html
    assert _loaded(html) == {"analytics"}


def test_the_cookie_of_one_category_does_not_open_the_other(vendor_scripts):
    client = Client()
    client.cookies[CONSENT_COOKIE] = cookie_value(
        receipt=ConsentReceipt(analytics=True, marketing=False)
    )
    assert _loaded(client.get("/").content.decode()) == {"analytics"}
    client.cookies[CONSENT_COOKIE] = cookie_value(
        receipt=ConsentReceipt(analytics=False, marketing=True)
    )
    assert _loaded(client.get("/").content.decode()) == {"marketing"}


# --- registering a third-party script ----------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        "ftp://cdn.example/x.js",  # a host, but not http(s)
        "file://cdn.example/x.js",
        "https:///x.js",  # http(s), but no host
        "http:x.js",
        "//cdn.example/x.js",
        "data:text/javascript,alert(1)",
    ],
)
def test_a_script_is_refused_without_a_full_http_address(src):
    with pytest.raises(ConsentError) as refused:
        register_script(name="Vendor", category="marketing", src=src)
    assert refused.value.message == "A third-party script needs a full http(s) address."
    assert ThirdPartyScript.objects.count() == 0


@pytest.mark.parametrize(
    ("src", "origin"),
    [
        ("https://cdn.example/tag.js", "https://cdn.example"),
        ("http://cdn.example/tag.js", "http://cdn.example"),
        ("HTTPS://CDN.Example:8443/X/Tag.JS?v=XX", "https://cdn.example:8443"),
        ("http://XYZ.example/X.js", "http://xyz.example"),
    ],
)
def test_a_full_http_or_https_address_is_registered_under_its_origin(src, origin):
    script = register_script(name="Vendor", category="analytics", src=src)
    assert (script.src, script.origin) == (src, origin)
    # and a visitor who opted in to analytics gets it
    client = Client()
    _choose(client, choice="save", analytics="on")
    assert f'<script src="{src}"' in client.get("/").content.decode()


def _admin_form(src: str) -> ThirdPartyScriptForm:
    return ThirdPartyScriptForm(
        data={"name": "Vendor", "category": "marketing", "src": src, "active": "on"}
    )


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("ftp://cdn.example/tag.js", "A third-party script needs a full http(s) address."),
        (
            "https://cdn.example/tag.js;script-src",
            "That script address contains characters a CSP cannot carry.",
        ),
        (
            "https://cdn.example/tag.js?a='unsafe-inline'",
            "That script address contains characters a CSP cannot carry.",
        ),
        (
            "https://cdn.example/tag.js?a=1,2",
            "That script address contains characters a CSP cannot carry.",
        ),
    ],
)
def test_the_operator_is_told_why_an_address_is_refused(src, message):
    form = _admin_form(src)
    assert not form.is_valid()
    assert form.errors["src"] == [message]
    with pytest.raises(ConsentError) as refused:
        register_script(name="Vendor", category="marketing", src=src)
    assert refused.value.message == message


def test_the_admin_derives_the_origin_of_an_accepted_address():
    form = _admin_form("https://Pixel.Example.NET/X.js")
    assert form.is_valid(), form.errors
    script = form.save(commit=False)
    request = RequestFactory().post("/admin/consent/thirdpartyscript/add/")
    site._registry[ThirdPartyScript].save_model(request, script, form, False)
    assert ThirdPartyScript.objects.get().origin == "https://pixel.example.net"
