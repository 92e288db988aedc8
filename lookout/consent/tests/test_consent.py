"""The banner, the choice form, receipts, GPC and the consent CSP (C7.1, C7.3, C7.5)."""

from __future__ import annotations

import re
from html import escape

import pytest
from django.conf import settings
from django.test import Client

from lookout.accounts.services import create_account
from lookout.consent import banner
from lookout.consent.cookies import CONSENT_COOKIE, VISITOR_COOKIE, Category, inventory
from lookout.consent.models import ConsentReceipt, ThirdPartyScript
from lookout.consent.services import ConsentError, register_script

pytestmark = pytest.mark.django_db
CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
OURS = "lookout.consent.middleware.ConsentCSPMiddleware"
PIXEL = "https://pixel.example.net/p.js"


@pytest.fixture
def consent_csp(settings):
    """MIDDLEWARE with the consent middleware right before Django's CSP middleware."""
    chain = [m for m in settings.MIDDLEWARE if m != OURS]
    chain.insert(chain.index(CSP_MIDDLEWARE), OURS)
    settings.MIDDLEWARE = chain


def _choose(client: Client, **data: str):
    return client.post("/cookies/choice/", {"next": "/", **data})


@pytest.mark.commitment("C7.3")
def test_first_visit_shows_accept_and_reject_equally_and_nothing_pre_ticked():
    # given a first-time visitor / when they open the home page
    html = Client().get("/").content.decode()
    # then the banner offers Accept and Reject as buttons of the same class, side by side
    buttons = re.findall(r'<button type="submit" name="choice" value="(\w+)" class="([^"]+)"', html)
    assert ("accept", "consent-choice") in buttons and ("reject", "consent-choice") in buttons
    assert html.index('value="accept"') < html.index("<details")
    assert html.index('value="reject"') < html.index("<details")
    # ... per-category boxes exist, none ticked
    assert 'name="analytics"' in html and 'name="marketing"' in html
    assert "checked" not in html.split('id="consent-banner"')[1].split("</section>")[0]
    # ... and "Cookie settings" is in the footer
    assert 'href="/cookies/">Cookie settings' in html


@pytest.mark.commitment("C7.3", "C7.2")
def test_accept_writes_a_receipt_without_ip_and_sets_only_listed_cookies():
    client = Client(REMOTE_ADDR="198.51.100.77", HTTP_USER_AGENT="Mozilla/5.0 Test")
    # when the visitor accepts
    response = _choose(client, choice="accept")
    # then a receipt records both categories, the banner and policy versions, and no GPC
    receipt = ConsentReceipt.objects.get()
    assert (receipt.analytics, receipt.marketing, receipt.gpc) == (True, True, False)
    assert receipt.method == "accept_all" and receipt.banner_version == banner.version()
    assert receipt.subject is None
    names = {f.name for f in ConsentReceipt._meta.fields}
    assert not names & {"ip", "ip_address", "user_agent", "user", "email"}
    assert "198.51.100.77" not in str(ConsentReceipt.objects.values().get())
    # ... the consent and visitor cookies are persistent with the listed lifetimes
    listed = {c.name: c for c in inventory()}
    for name in (CONSENT_COOKIE, VISITOR_COOKIE):
        morsel = response.cookies[name]
        lifetime = listed[name].lifetime
        assert lifetime is not None
        assert int(morsel["max-age"]) == int(lifetime.total_seconds())
        assert morsel["httponly"] and morsel["samesite"] == "Lax"
    assert set(response.cookies) <= set(listed)
    # ... and the visitor can read their receipt id on the cookie page
    page = client.get("/cookies/").content.decode()
    assert str(receipt.id) in page


@pytest.mark.commitment("C7.3")
def test_gpc_counts_as_reject_and_the_receipt_says_so():
    client = Client(HTTP_SEC_GPC="1")
    # given a browser sending Global Privacy Control, the banner says it is treated as reject
    html = client.get("/").content.decode()
    assert banner.TEXT["gpc"] in html and 'value="accept"' not in html
    # when a form still asks to accept everything
    response = _choose(client, choice="accept", analytics="on", marketing="on")
    # then the receipt is a reject because of GPC, and no analytics cookie is set
    receipt = ConsentReceipt.objects.get()
    assert (receipt.method, receipt.gpc, receipt.analytics, receipt.marketing) == (
        "gpc",
        True,
        False,
        False,
    )
    assert response.cookies[VISITOR_COOKIE].value == ""  # deleted, never set


@pytest.mark.commitment("C7.3")
def test_per_category_choice_and_change_at_any_time():
    client = Client()
    _choose(client, choice="save", analytics="on")
    first = ConsentReceipt.objects.get()
    assert (first.method, first.analytics, first.marketing) == ("custom", True, False)
    page = client.get("/cookies/").content.decode()
    assert re.search(r'name="analytics" checked', page)
    assert not re.search(r'name="marketing" checked', page)
    # when they withdraw from the cookie page
    response = _choose(client, choice="reject")
    # then a second receipt is written, and the analytics cookie is removed
    assert ConsentReceipt.objects.count() == 2
    assert response.cookies[VISITOR_COOKIE]["max-age"] == 0
    assert "consent-banner" not in client.get("/").content.decode()


def test_a_choice_from_another_site_or_without_a_choice_is_refused():
    forged = Client().post(
        "/cookies/choice/", {"choice": "accept"}, HTTP_ORIGIN="https://evil.example.com"
    )
    assert forged.status_code == 403 and CONSENT_COOKIE not in forged.cookies
    assert "own pages" in forged.content.decode()
    empty = Client().post("/cookies/choice/", {"choice": "maybe"})
    assert empty.status_code == 400 and "Accept all" in empty.content.decode()
    assert ConsentReceipt.objects.count() == 0
    assert Client().get("/cookies/choice/").status_code == 405


@pytest.mark.commitment("C7.4")
def test_the_choice_keeps_the_cart_token_and_refuses_foreign_redirects():
    token = "A" * 43
    kept = Client().post("/cookies/choice/", {"choice": "reject", "next": f"/c/x/?cart={token}"})
    assert kept["Location"] == f"/c/x/?cart={token}"
    away = Client().post("/cookies/choice/", {"choice": "reject", "next": "https://evil.example/"})
    assert away["Location"] == "/cookies/"


def test_the_receipt_names_an_account_only_when_asked():
    user = create_account(email="rita@example.com", password="correct-horse-battery")
    client = Client()
    client.force_login(user)
    _choose(client, choice="save", analytics="on")
    _choose(client, choice="save", analytics="on", keep_link="on")
    assert [r.subject for r in ConsentReceipt.objects.order_by("created_at")] == [
        None,
        user.subject,
    ]


@pytest.mark.commitment("C7.1")
def test_cookie_page_lists_every_cookie_with_category_lifetime_and_purpose():
    html = Client().get("/cookies/").content.decode()
    names = {c.name for c in inventory()}
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, CONSENT_COOKIE} <= names
    for spec in inventory():
        row = re.search(rf'<tr data-cookie="{spec.name}">(.*?)</tr>', html, re.S)
        assert row, spec.name
        assert spec.category.label in row.group(1)
        assert spec.lifetime_text in row.group(1) and escape(spec.purpose) in row.group(1)
    assert {c.category for c in inventory() if c.lifetime is not None} == {
        Category.STRICTLY_NECESSARY,
        Category.ANALYTICS,
    }


@pytest.mark.commitment("C7.5", "C7.2")
@pytest.mark.parametrize("path", ["/", "/c/outdoor-cameras/", "/search/?q=cam", "/cookies/"])
def test_pages_before_consent_set_no_cookie_and_name_no_other_origin(path, consent_csp):
    register_script(name="Pixel", category="marketing", src=PIXEL)
    response = Client().get(path)
    assert response.status_code in (200, 404)
    assert response.cookies == {} or set(response.cookies) == set()
    html = response.content.decode()
    assert "pixel.example.net" not in html.replace("<code>https://pixel.example.net</code>", "")
    assert "pixel.example.net" not in response["Content-Security-Policy"]


@pytest.mark.commitment("C7.5")
def test_csp_widens_to_a_registered_origin_only_after_opt_in(consent_csp):
    register_script(name="Pixel", category="marketing", src=PIXEL)
    client = Client()
    _choose(client, choice="save", analytics="on")
    # analytics only: the marketing origin stays out
    page = client.get("/")
    assert "pixel.example.net" not in page["Content-Security-Policy"]
    assert PIXEL not in page.content.decode()
    # marketing accepted: script tag with the nonce, origin in script-src and connect-src
    _choose(client, choice="accept")
    page = client.get("/")
    policy = page["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "https://pixel.example.net" in script_src
    assert "https://pixel.example.net" in policy.split("connect-src")[1].split(";")[0]
    assert re.search(
        rf'<script src="{re.escape(PIXEL)}" defer nonce="[^"]+"', page.content.decode()
    )
    # ... and a GPC signal closes it again, whatever the cookie says
    gpc = client.get("/", HTTP_SEC_GPC="1")
    assert "pixel.example.net" not in gpc["Content-Security-Policy"]
    assert PIXEL not in gpc.content.decode()


def test_a_script_needs_a_real_address_and_an_optional_category():
    for name, category, src in [
        ("x", "marketing", "javascript:alert(1)"),
        ("x", "strictly_necessary", PIXEL),
        ("x", "marketing", "https://a.example/x.js; script-src *"),
        ("", "marketing", PIXEL),
    ]:
        with pytest.raises(ConsentError):
            register_script(name=name, category=category, src=src)
    assert ThirdPartyScript.objects.count() == 0


def test_the_choice_returns_to_the_page_it_was_made_on_with_its_query():
    token = "B" * 43
    response = Client().post(
        "/cookies/choice/",
        {"choice": "reject", "next": "/search/"},
        HTTP_REFERER=f"http://testserver/search/?q=doorbell&cart={token}",
    )
    assert response["Location"] == f"/search/?q=doorbell&cart={token}"
    html = Client().get(f"/search/?q=doorbell&cart={token}").content.decode()
    assert f'name="next" value="/search/?cart={token}"' in html
