"""Accessibility, measured (issue 22): axe-core runs in a real Chromium on every main page of the
store and of the back office (the catalog manager's Django admin included), and finds no critical
or serious violation of the WCAG 2.2 A/AA rules; a guest places an order with the keyboard alone;
and no main page is wider than a 390 px phone screen.

axe-core is the pinned version in package-lock.json, installed by `npm ci` (`make node-deps`,
decision 0044): nothing is downloaded while the tests run. Without it the tests skip on a
developer's machine and fail in CI (lookout.testing.parts). The script is evaluated in each page
through the DevTools protocol, so the site's CSP (scripts by nonce only) stays on and is not
widened for the test.

The site is a server of its own (prepare_site: fresh SQLite, demo catalog, the sandbox card
processor mounted as in development), with the people, orders, requests, messages and a second
policy version the pages need made by `lookout shell` (PREPARE). One browser; one context per
role, signed in once and reused by every page of that role.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError

from lookout.testing.parts import missing
from lookout.testing.ports import free_port
from sandbox_processor.shopper import future_expiry
from tests.e2e import conftest
from tests.e2e.conftest import BIN, ROOT, _lookout, prepare_site

# Its own server on its own SQLite files: the PostgreSQL pass would repeat it exactly (0024).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]

DESKTOP = ViewportSize(width=conftest.DESKTOP["width"], height=conftest.DESKTOP["height"])
PHONE = ViewportSize(width=conftest.PHONE["width"], height=conftest.PHONE["height"])
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = "node_modules/axe-core is not installed: run `make node-deps` (npm ci)"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("critical", "serious")

PASSWORD = "a11y-sweep-long-pass-1"
CUSTOMER = "a11y.customer@example.com"
ROLES = (
    "warehouse",
    "after_sales",
    "finance",
    "privacy_officer",
    "catalog_manager",
    "administrator",
)
SECRETS = {role: pyotp.random_base32() for role in ROLES}
# Who signs in for the other sessions: "staff_code" stops at the code, "staff_enrol" has not set
# up an authenticator yet (PREPARE)
EMAILS = {
    "customer": CUSTOMER,
    "staff_code": "a11y.finance@example.com",
    "staff_enrol": "a11y.enrol@example.com",
}

# Run by `lookout shell` in the site's environment; prints what it made as JSON.
PREPARE = f"""
import json
from datetime import timedelta
from urllib.parse import unquote, urlsplit
from django.utils import timezone
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.catalog.models import Category, Product, ProductPhoto
from lookout.inbox.services import send_message
from lookout.incidents.services import record_incident
from lookout.orders.fulfilment import ship_order
from lookout.orders.guest import guest_token
from lookout.orders.payment import begin_payment, finish_payment
from lookout.orders.services import mark_delivered
from lookout.orders.testing import GUEST_EMAIL, pay_on_sandbox, place
from lookout.policies.models import PolicyVersion
from lookout.policies.services import publish_version
from lookout.privacy.models import Kind, Via
from lookout.privacy.services import approve_deletion, open_request
from lookout.reviews.services import publish, write_review
from lookout.sharing.models import DeletionCertificate
from lookout.returns.testing import request_all
from lookout.support.services import open_conversation
from lookout.vouchers.models import Voucher

staff = {{}}
for role, secret in {SECRETS!r}.items():
    user = create_account(
        email=f"a11y.{{role.replace('_', '-')}}@example.com", password={PASSWORD!r}, role=role
    )
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    staff[role] = user
create_account(email="a11y.enrol@example.com", password={PASSWORD!r}, role="finance")
buyer = create_account(email={CUSTOMER!r}, password={PASSWORD!r})
products = list(Product.objects.filter(stock__gt=5).order_by("sku")[:3])

def paid(user=None, product=None):
    order = place(product or products[0], user=user)
    back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, _ = finish_payment(order=order, signed_reference=unquote(ref))
    return order

mine = paid(buyer)
def delivered(product):
    order = paid(buyer, product)
    return mark_delivered(order=ship_order(order=order, actor=staff["warehouse"]).order)

reviewed, to_review = delivered(products[1]), delivered(products[2])
returned = request_all(mark_delivered(
    order=ship_order(order=paid(buyer), actor=staff["warehouse"]).order
))
guest = paid()
# A published review on the second product's page, one waiting for moderation
review = lambda product, words: write_review(
    user=buyer, product=product, stars=4, body=words, pseudonym="Night owl", agreed=True
)
publish(review_id=review(products[1], "Clear at night, and the app asks for nothing.").pk,
        actor=staff["after_sales"])
review(products[0], "Easy to mount; I sent it back only because it was too big.")
# A person erased at their request: the deletion certificate they are given
leaver = create_account(email="a11y.leaver@example.com", password={PASSWORD!r})
erasure = open_request(subject=leaver.subject, kind=Kind.DELETION, via=Via.ACCOUNT, actor=leaver)
approve_deletion(request=erasure, actor=staff["privacy_officer"])
certificate = DeletionCertificate.objects.order_by("-created_at").first()
message = send_message(
    subject=buyer.subject, kind="account", title="Welcome to Lookout",
    body="Your account is ready. Your orders and our messages appear here.",
)
request = open_request(subject=buyer.subject, kind=Kind.DELETION, via=Via.ACCOUNT, actor=buyer)
conversation = open_conversation(
    subject=buyer.subject, topic="order", body="Can the parcel be left with my neighbour?",
    order=mine,
)
now = timezone.now()
incident = record_incident(
    officer=staff["privacy_officer"], kind="role", role="after_sales",
    started_at=now - timedelta(days=2), ended_at=now - timedelta(hours=1),
    measures="Every after-sales password reset; their sessions ended.",
)
latest = PolicyVersion.objects.filter(document="shipping").order_by("-number").first()
policy = publish_version(
    document="shipping", text=latest.text + "\\n\\nParcels can be left with a neighbour.",
    summary="Parcels can be left with a neighbour.",
)
# A discount code for the catalog manager's admin pages
voucher = Voucher.objects.create(code="A11Y-SPRING", percent=10)
# A variant of a product that is sold out (the demo catalog has some)
sold_out = Product.objects.filter(structure="child", stock=0).order_by("sku").first()
print(json.dumps({{
    "category": Category.objects.order_by("slug").first().slug,
    "category_id": str(Category.objects.order_by("slug").first().pk),
    "photo_product_id": str(ProductPhoto.objects.order_by("product_id").first().product_id),
    "voucher_id": str(voucher.pk),
    "product": products[0].slug,
    # A product with variants, and the page of one of them that is sold out
    "variant_product": sold_out.parent.slug,
    "variant_product_id": str(sold_out.parent_id),
    "sold_out_variant": sold_out.sku,
    "skus": [p.sku for p in products[:2]],
    "order": mine.number,
    "order_id": str(mine.pk),
    "delivered": reviewed.number,
    "reviewed_product": products[1].slug,
    "to_review": products[2].slug,
    "certificate": certificate.reference,
    "return": returned.number,
    "guest_token": guest_token(order=guest),
    "guest_order": guest.number,
    "guest_email": GUEST_EMAIL,
    "message": str(message.pk),
    "request": str(request.pk),
    "conversation": str(conversation.pk),
    "policy_version": policy.number,
    "incident": str(incident.pk),
}}))
"""


SELF_AUDIT = (
    "from lookout.compliance.selfaudit.runner import run_self_audit; run_self_audit(notify=False)"
)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        missing("axe-core", AXE_MISSING)
    return AXE.read_text("utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """A server of this module's own: the pages it needs made, and no other test's data."""
    var_dir = tmp_path_factory.mktemp("a11y-site")
    env = prepare_site(var_dir)
    made = json.loads(_lookout(env, "shell", "-c", PREPARE).stdout.strip().splitlines()[-1])
    # The live self-audit takes a while: it runs beside the pages that do not need it
    made["_self_audit"] = subprocess.Popen(
        [str(BIN / "lookout"), "shell", "-c", SELF_AUDIT],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    port = free_port()
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "lookout.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError((var_dir / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url, made
    finally:
        for process in (server, made["_self_audit"]):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture(scope="module")
def self_audit(site) -> None:
    """The self-audit's run is stored (for its page)."""
    process = site[1]["_self_audit"]
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors[-3000:]


def _sign_in(page: Page, base: str, role: str, *, code: bool = True) -> None:
    email = EMAILS.get(role) or f"a11y.{role.replace('_', '-')}@example.com"
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if role in (*SECRETS, "staff_code", "staff_enrol"):
        expect(page.get_by_label("6-digit code")).to_be_visible()
        if not code:
            return
        page.get_by_label("6-digit code").fill(pyotp.TOTP(SECRETS[role]).now())
        page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|otp)/"))


class Sessions:
    """One browser context per role, made on first use and shared by every page of the role:
    "visitor" has made no cookie choice (the banner shows), "guest" refused optional cookies,
    "customer" and each staff role signed in, "staff_code" half-way (password taken, second
    factor asked). Each context has a desktop and a phone page."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser, self.base = browser, base
        self.contexts: dict[str, BrowserContext] = {}
        self.pages: dict[tuple[str, bool], Page] = {}

    def page(self, role: str, *, phone: bool = False) -> Page:
        if (role, phone) in self.pages:
            return self.pages[role, phone]
        context = self.contexts.get(role)
        if context is None:
            context = self.contexts[role] = self.browser.new_context(viewport=DESKTOP)
            first = context.new_page()
            if role != "visitor":
                first.goto(self.base + "/")
                first.locator("#consent-banner button[value=reject]").click()
                expect(first.locator("#consent-banner")).to_have_count(0)
            if role in ("staff_code", "staff_enrol"):  # password taken, second factor asked
                _sign_in(first, self.base, role, code=False)
            elif role not in ("visitor", "guest"):
                _sign_in(first, self.base, role)
            self.pages[role, False] = first
        if phone:
            self.pages[role, True] = context.new_page()
            self.pages[role, True].set_viewport_size(PHONE)
        return self.pages[role, phone]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="module")
def sessions(site, browser) -> Iterator[Sessions]:
    base, _ = site
    made = Sessions(browser, base)
    try:
        yield made
    finally:
        made.close()


def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """The page's critical and serious violations of the WCAG 2.2 A/AA rules, as axe reports
    them."""
    page.evaluate(source)
    return page.evaluate(
        """async ([tags, blocking]) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.filter(v => blocking.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        [WCAG_TAGS, list(BLOCKING)],
    )


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:10]:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"    {node['target']}  -- {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def check_page(page: Page, source: str, what: str) -> None:
    violations = axe_violations(page, source)
    assert not violations, (
        f"{what} ({page.url}): {len(violations)} critical/serious axe violation(s):\n"
        + describe(violations)
    )


@dataclass(frozen=True)
class Visit:
    """One page: who opens it and how (`path` is formatted with PREPARE's output)."""

    id: str
    role: str
    path: str
    then: Callable[[Page, dict[str, Any]], None] | None = None
    needs: str = ""  # a fixture that must have run first


def _open_cookie_choices(page: Page, made: dict[str, Any]) -> None:
    expect(page.locator("#consent-banner")).to_be_visible()
    page.locator("#consent-banner summary").click()


def _shows(text: str) -> Callable[[Page, dict[str, Any]], None]:
    """The page shows what PREPARE made for it."""

    def check(page: Page, made: dict[str, Any]) -> None:
        expect(page.locator("main")).to_contain_text(text)

    return check


def _has_tables(page: Page, made: dict[str, Any]) -> None:
    """The self-audit's page shows its run's checks and commitments (the evidence's own small
    tables are inside them), each check by its title."""
    expect(page.locator("main .self-audit > table")).to_have_count(2)
    expect(page.locator(".check-title").first).to_contain_text("No plaintext email address")


def _save_empty(page: Page, made: dict[str, Any]) -> None:
    """An admin add form sent empty: the page with its error messages."""
    page.locator("input[name=_save]").click()
    expect(page.locator(".errornote")).to_be_visible()


def _ask_for_a_code(page: Page, made: dict[str, Any]) -> None:
    """A guest's privacy request, first step done: the page asking for the emailed code."""
    page.get_by_label("The email you gave with the order").fill(made["guest_email"])
    page.get_by_label("Order number").fill(made["guest_order"])
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("The 6-digit code from our email")).to_be_visible()


PAGES = [
    # A visitor who has not chosen yet: the cookie banner is open, its choices unfolded
    Visit("cookie-banner", "visitor", "/", _open_cookie_choices),
    Visit("cookie-settings", "visitor", "/cookies/"),
    # The storefront, as a guest
    Visit("home", "guest", "/"),
    Visit("category", "guest", "/c/{category}/"),
    Visit("product", "guest", "/p/{product}/"),
    Visit("product-with-variants", "guest", "/p/{variant_product}/"),
    Visit(
        "product-variant-sold-out",
        "guest",
        "/p/{variant_product}/?variant={sold_out_variant}",
        _shows("Out of stock"),
    ),
    Visit("search", "guest", "/search/?q=camera"),
    Visit("search-nothing-found", "guest", "/search/?q=zzzzqqq"),
    Visit("compare", "guest", "/compare/?sku={skus[0]}&sku={skus[1]}"),
    Visit("cart-empty", "guest", "/cart/"),
    Visit("sign-in", "guest", "/accounts/login/"),
    Visit("sign-up", "guest", "/accounts/signup/"),
    Visit("sign-up-sent", "guest", "/accounts/signup/sent/"),
    Visit("sign-in-code", "staff_code", "/accounts/otp/"),
    Visit("sign-in-authenticator-set-up", "staff_enrol", "/accounts/otp/"),
    Visit("password-reset", "guest", "/accounts/password/reset/"),
    Visit("help", "guest", "/help/"),
    Visit("ask-about-a-product", "guest", "/help/ask/?product={skus[0]}"),
    Visit("guest-order", "guest", "/orders/guest/{guest_token}/"),
    Visit("guest-returns", "guest", "/returns/guest/{guest_token}/"),
    Visit("guest-help", "guest", "/help/guest/{guest_token}/"),
    Visit("guest-privacy-request", "guest", "/privacy/guest/"),
    Visit("guest-privacy-code", "guest", "/privacy/guest/", _ask_for_a_code),
    Visit("policies", "guest", "/policies/"),
    Visit("policy", "guest", "/policies/privacy/"),
    Visit("policy-versions", "guest", "/policies/shipping/versions/"),
    Visit("policy-version", "guest", "/policies/shipping/v1/"),
    Visit("policy-changes", "guest", "/policies/shipping/v{policy_version}/changes/"),
    Visit("product-with-reviews", "guest", "/p/{reviewed_product}/", _shows("Clear at night")),
    Visit("product-reviews", "guest", "/p/{reviewed_product}/reviews/", _shows("Clear at night")),
    Visit("deletion-certificate", "guest", "/privacy/certificates/{certificate}/"),
    Visit("not-found", "guest", "/no-such-page/"),
    # A signed-in customer
    Visit("account", "customer", "/accounts/"),
    Visit("password-change", "customer", "/accounts/password/change/"),
    Visit("my-orders", "customer", "/orders/"),
    Visit("my-order", "customer", "/orders/{order}/"),
    Visit("return-request", "customer", "/returns/order/{delivered}/"),
    Visit("return", "customer", "/returns/{return}/"),
    Visit("inbox", "customer", "/inbox/"),
    Visit("inbox-message", "customer", "/inbox/{message}/"),
    Visit("privacy-centre", "customer", "/privacy/"),
    Visit("privacy-request", "customer", "/privacy/requests/{request}/"),
    Visit("my-conversations", "customer", "/help/conversations/"),
    Visit("conversation", "customer", "/help/conversations/{conversation}/"),
    Visit("new-conversation", "customer", "/help/conversations/new/"),
    Visit("notice-choices", "customer", "/help/notices/"),
    Visit("write-a-review", "customer", "/reviews/{to_review}/write/"),
    Visit("my-reviews", "customer", "/reviews/mine/"),
    # The back office: each role's start page (where /staff/ leads), then its other pages
    *(Visit(f"staff-start-{role}", role, "/staff/") for role in ROLES),
    Visit("staff-warehouse", "warehouse", "/staff/warehouse/"),
    Visit("staff-shipping-queue", "warehouse", "/orders/warehouse/"),
    Visit("staff-packing-slip", "warehouse", "/orders/warehouse/{order_id}/slip/"),
    Visit("staff-after-sales", "after_sales", "/staff/after-sales/"),
    Visit("staff-order-desk", "after_sales", "/staff/desk/"),
    Visit("staff-desk-order", "after_sales", "/staff/desk/orders/{order}/"),
    Visit("staff-support-queue", "after_sales", "/help/staff/"),
    Visit("staff-support-conversation", "after_sales", "/help/staff/{conversation}/"),
    Visit(
        "staff-review-moderation", "after_sales", "/reviews/moderation/", _shows("Easy to mount")
    ),
    Visit("staff-finance", "finance", "/staff/finance/"),
    Visit("staff-privacy", "privacy_officer", "/staff/privacy/"),
    Visit("staff-audit-log", "privacy_officer", "/staff/privacy/audit/"),
    Visit("staff-privacy-queue", "privacy_officer", "/privacy/queue/"),
    Visit("staff-privacy-request", "privacy_officer", "/privacy/queue/{request}/"),
    Visit(
        "staff-self-audit", "privacy_officer", "/compliance/self-audit/", _has_tables, "self_audit"
    ),
    Visit("staff-incidents", "privacy_officer", "/staff/incidents/"),
    Visit("staff-incident-new", "privacy_officer", "/staff/incidents/new/"),
    Visit("staff-incident", "privacy_officer", "/staff/incidents/{incident}/"),
    Visit("staff-catalog", "catalog_manager", "/staff/catalog/"),
    Visit("staff-promotions", "catalog_manager", "/marketing/"),
    Visit("staff-analytics", "catalog_manager", "/analytics/reports/"),
    Visit("staff-administrator", "administrator", "/staff/administrator/"),
    Visit("staff-policies-manage", "administrator", "/policies/manage/"),
    # The catalog manager's Django admin: its start page, and each list, add and change page
    Visit("admin-sign-in", "guest", "/admin/login/"),
    Visit("admin-index", "catalog_manager", "/admin/"),
    Visit("admin-products", "catalog_manager", "/admin/catalog/product/"),
    Visit(  # searched, filtered and sorted by two columns: the filters' and sorting's links
        "admin-products-found",
        "catalog_manager",
        "/admin/catalog/product/?q=Kestrel&category__id__exact={category_id}&o=3.-2",
    ),
    Visit("admin-product-add", "catalog_manager", "/admin/catalog/product/add/"),
    Visit(
        "admin-product-variants",
        "catalog_manager",
        "/admin/catalog/product/{variant_product_id}/change/",
    ),
    Visit("admin-product-errors", "catalog_manager", "/admin/catalog/product/add/", _save_empty),
    Visit(  # with its photos (the inline)
        "admin-product", "catalog_manager", "/admin/catalog/product/{photo_product_id}/change/"
    ),
    Visit("admin-categories", "catalog_manager", "/admin/catalog/category/"),
    Visit("admin-category-add", "catalog_manager", "/admin/catalog/category/add/"),
    Visit("admin-category", "catalog_manager", "/admin/catalog/category/{category_id}/change/"),
    Visit("admin-vouchers", "catalog_manager", "/admin/vouchers/voucher/"),
    Visit("admin-voucher-add", "catalog_manager", "/admin/vouchers/voucher/add/"),
    Visit("admin-voucher", "catalog_manager", "/admin/vouchers/voucher/{voucher_id}/change/"),
    Visit("admin-voucher-batch", "catalog_manager", "/admin/vouchers/voucher/generate/"),
    Visit("admin-password-change", "catalog_manager", "/admin/password_change/"),
]


def _open(sessions: Sessions, made: dict[str, Any], visit: Visit, *, phone: bool = False) -> Page:
    page = sessions.page(visit.role, phone=phone)
    response = page.goto(sessions.base + visit.path.format(**made))
    assert response is not None
    expected = 404 if visit.id == "not-found" else 200
    assert response.status == expected, f"{visit.id}: {page.url} answered {response.status}"
    if visit.then is not None:
        visit.then(page, made)
    return page


@pytest.mark.parametrize("visit", PAGES, ids=[v.id for v in PAGES])
def test_no_serious_accessibility_violations(
    axe_source, site, sessions, request: pytest.FixtureRequest, visit: Visit
) -> None:
    _, made = site
    if visit.needs:
        request.getfixturevalue(visit.needs)
    page = _open(sessions, made, visit)
    check_page(page, axe_source, visit.id)


WIDE = """() => {
    const edge = document.documentElement.clientWidth;
    const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
        + (e.classList.length ? "." + [...e.classList].join(".") : "");
    const scrolled = e => {  // inside a box of its own that scrolls or clips it
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== "visible") return true;
        }
        return false;
    };
    const out = [...document.body.querySelectorAll("*")].filter(e =>
        e.getBoundingClientRect().right > edge + 1
        && e.parentElement.getBoundingClientRect().right <= edge + 1 && !scrolled(e));
    return [document.documentElement.scrollWidth,
            out.slice(0, 5).map(e => `${name(e.parentElement)} > ${name(e)}`)];
}"""


def too_wide(page: Page) -> tuple[int, list[str]]:
    """The page's width, and the outermost elements that stick out past the screen's edge."""
    width, wide = page.evaluate(WIDE)
    return width, wide


@pytest.mark.parametrize("visit", PAGES, ids=[v.id for v in PAGES])
def test_fits_a_phone_screen(site, sessions, request: pytest.FixtureRequest, visit: Visit) -> None:
    _, made = site
    if visit.needs:
        request.getfixturevalue(visit.needs)
    page = _open(sessions, made, visit, phone=True)
    width, wide = too_wide(page)
    assert width <= PHONE["width"], (
        f"{visit.id} is {width} px wide on a {PHONE['width']} px screen; widest: {wide}"
    )


# --- The guest checkout, each step checked on the way ------------------------------------------


def _fill_delivery(page: Page) -> None:
    page.get_by_label("Recipient's name").fill("Grace Hopper")
    page.get_by_label("Street address").fill("10 Downing Street")
    page.get_by_label("Post town").fill("London")
    page.get_by_label("Postal code").fill("SW1A 2AA")
    page.get_by_label("Email for order updates").fill("grace.hopper@example.com")


@pytest.fixture(scope="module")
def checkout_steps(axe_source, site, browser) -> dict[str, list[dict[str, Any]]]:
    """A guest buys a camera with a card that is declined first, then accepted; each step's
    violations (and the step's width on a phone) are recorded for the tests below."""
    base, made = site
    found: dict[str, list[dict[str, Any]]] = {}
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()

    def step(name: str) -> None:
        found[name] = axe_violations(page, axe_source)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            found[name] = [*found[name], {"id": "phone-width", "impact": "serious",
                          "help": f"{width} px wide on a 390 px screen", "nodes": []}]  # fmt: skip
        page.set_viewport_size(DESKTOP)

    try:
        page.goto(f"{base}/p/{made['product']}/")
        page.locator("#consent-banner button[value=reject]").click()
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        step("cart")
        token = re.search(r"/cart/([A-Za-z0-9_-]{43})/", page.url)
        page.goto(
            f"{base}/checkout/{token[1]}/?country=GB" if token else f"{base}/checkout/?country=GB"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
        step("checkout-delivery")
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        expect(page.locator(".errorlist, [aria-invalid=true]").first).to_be_visible()
        step("checkout-delivery-errors")
        _fill_delivery(page)
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        expect(page.get_by_label("Card number")).to_be_visible()
        step("payment-page")
        page.get_by_label("Card number").fill("4000 0000 0000 0002")
        page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
        page.get_by_label("CVC").fill("123")
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(page.locator("#payment-message")).to_contain_text("declined")
        step("payment-declined")
        page.goto(f"{base}/p/{made['product']}/")
        page.get_by_role("button", name="Add to cart").click()
        token = re.search(r"/cart/([A-Za-z0-9_-]{43})/", page.url)
        page.goto(
            f"{base}/checkout/{token[1]}/?country=GB" if token else f"{base}/checkout/?country=GB"
        )
        _fill_delivery(page)
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
        page.get_by_label("CVC").fill("123")
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
        step("confirmation")
    except (AssertionError, PlaywrightError) as error:  # later steps: reported not reached
        found["stopped"] = [{"id": "stopped", "impact": "", "help": str(error), "nodes": []}]
    finally:
        context.close()
    return found


CHECKOUT_STEPS = [
    "cart",
    "checkout-delivery",
    "checkout-delivery-errors",
    "payment-page",
    "payment-declined",
    "confirmation",
]


@pytest.mark.parametrize("step", CHECKOUT_STEPS)
def test_checkout_step_has_no_serious_violations(checkout_steps, step: str) -> None:
    assert step in checkout_steps, f"the checkout did not reach {step!r}: " + describe(
        checkout_steps.get("stopped", [])
    )
    violations = checkout_steps[step]
    assert not violations, (
        f"checkout step {step}: {len(violations)} critical/serious axe violation(s) or too wide:\n"
        + describe(violations)
    )


# --- Keyboard only --------------------------------------------------------------------------


def _tab_to(page: Page, target: Locator, *, limit: int = 200) -> None:
    """Press Tab until `target` has the focus, and check the focus can be seen there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"the focus on {target} cannot be seen (no outline)"
            return
    raise AssertionError(f"{target} never took the focus in {limit} presses of Tab")


def _type_into(page: Page, target: Locator, text: str) -> None:
    _tab_to(page, target)
    page.keyboard.type(text)


def test_a_guest_orders_with_the_keyboard_alone(site, browser) -> None:
    """From the home page to the confirmation with Tab, Enter and Space, and typing into the
    focused field: no click anywhere, on the store's pages or on the processor's."""
    base, _ = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(base + "/")
        # The cookie banner: only the necessary cookies
        _tab_to(page, page.locator("#consent-banner button[value=reject]"))
        page.keyboard.press("Enter")
        expect(page.locator("#consent-banner")).to_have_count(0)
        # A category from the menu, a camera in stock, into the cart (with Space)
        _tab_to(page, page.locator('.category-nav a[href^="/c/outdoor-cameras/"]'))
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/c/outdoor-cameras/"))
        _tab_to(page, page.locator(".card:has(.stock.in) .card-link").first)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/p/"))
        _tab_to(page, page.get_by_role("button", name="Add to cart"))
        page.keyboard.press("Space")
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        # To the checkout, the delivery details typed in
        _tab_to(page, page.get_by_role("link", name="Check out"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
        _type_into(page, page.get_by_label("Recipient's name"), "Grace Hopper")
        _type_into(page, page.get_by_label("Street address"), "1600 Amphitheatre Parkway")
        _type_into(page, page.get_by_label("City"), "Mountain View")
        _type_into(page, page.get_by_label("State"), "California")
        _type_into(page, page.get_by_label("ZIP code"), "94043")
        _type_into(page, page.get_by_label("Email for order updates"), "grace.hopper@example.com")
        _tab_to(page, page.locator("#place-order"))
        page.keyboard.press("Enter")
        # The processor's payment page, by keyboard too
        expect(page.get_by_label("Card number")).to_be_visible()
        _type_into(page, page.get_by_label("Card number"), "4242 4242 4242 4242")
        _type_into(page, page.get_by_label("Expiry (MM/YY)"), future_expiry())
        _type_into(page, page.get_by_label("CVC"), "123")
        _tab_to(page, page.get_by_role("button", name=re.compile(r"^Pay ")))
        page.keyboard.press("Enter")
        # Then the order is confirmed, paid
        expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    finally:
        context.close()


# --- A signed-in customer finds their orders (issue 22) --------------------------------------


def test_a_signed_in_customer_finds_their_orders_from_the_header_and_the_account_page(
    site, sessions
) -> None:
    """Reported in issue 22: no link led a signed-in customer to their orders."""
    base, made = site
    page = sessions.page("customer")
    page.goto(base + "/")
    page.get_by_role("navigation", name="Account and cart").get_by_role(
        "link", name="Your orders"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your orders")
    expect(page.locator(f'a[href="/orders/{made["order"]}/"]').first).to_be_visible()
    page.goto(base + "/accounts/")
    page.get_by_role("main").get_by_role("link", name="Your orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your orders")
