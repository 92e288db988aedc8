"""Who may reach each URL of the site and each operation of the API: the declarative table the
access-control test enumerates against (C4.3, C4.5).

Every named URL pattern (walked from the root URLconf) and every API operation (from the
OpenAPI document) must have a rule here; a new endpoint without one fails the test, so adding a
page means deciding, in this file and in review, who it is for.

Kinds of rule:
* PUBLIC: anyone, signed in or not.
* LINK: anyone holding the link (a cart token, a signed guest-order link, an opt-out or
  password-reset token). The link is the credential; the test also checks that a tampered one
  is refused for everyone.
* HELD: anyone whose browser holds the cart cookie (the token-free cart and checkout pages,
  lookout.cart.holder). The cookie is the credential: the test calls with the world's cart in
  it, and checks that without it, or with a tampered one, everyone is refused.
* SIGNED_IN: any signed-in person (customers and staff), about their own account only.
* CUSTOMER: any signed-in customer (no staff role), about their own account only.
* OWNER: only the customer whose object it is (an order, a return, a subject request, an
  access file, a saved address, a message); another customer and staff are refused.
* a set of roles: only staff holding one of them, after their second factor (C4.7).

"Reached" means an answer from the page itself (2xx, a redirect elsewhere than sign-in, or a
4xx about the input); "refused" means a redirect to sign-in or to the second factor, 401, 403
or 404. Staff who have not passed their second factor reach only SECOND_FACTOR_OPEN.
"""

from __future__ import annotations

from dataclasses import dataclass

from lookout.access.roles import Role

PUBLIC = "public"
LINK = "link"
HELD = "cart-cookie"
SIGNED_IN = "signed-in"
CUSTOMER = "customer"
OWNER = "owner"

W, AS, F, PO, CM, AD = (
    Role.WAREHOUSE.value,
    Role.AFTER_SALES.value,
    Role.FINANCE.value,
    Role.PRIVACY_OFFICER.value,
    Role.CATALOG_MANAGER.value,
    Role.ADMINISTRATOR.value,
)
STAFF = frozenset({W, AS, F, PO, CM, AD})


@dataclass(frozen=True)
class Rule:
    who: str | frozenset[str]
    why: str
    method: str = "get"  # how the test calls it: "post" for endpoints that only take POST


def only(*roles: str, why: str, method: str = "get") -> Rule:
    return Rule(frozenset(roles), why, method)


RULES: dict[str, Rule] = {
    # storefront
    "home": Rule(PUBLIC, "the shop window"),
    "catalog:category": Rule(PUBLIC, "browsing"),
    "catalog:product": Rule(PUBLIC, "browsing"),
    "product_reviews": Rule(PUBLIC, "a product's published reviews, as their writers agreed"),
    "catalog:image": Rule(PUBLIC, "product pictures"),
    "catalog:photo_file": Rule(PUBLIC, "product photos: content-addressed renditions"),
    "favicon": Rule(PUBLIC, "the shop's icon, for browsers that ask /favicon.ico"),
    "catalog:search": Rule(PUBLIC, "browsing"),
    "catalog:compare": Rule(PUBLIC, "browsing"),
    "cart:empty": Rule(PUBLIC, "an empty cart page"),
    "cart:add": Rule(PUBLIC, "opens a cart for anyone", "post"),
    "cart:detail": Rule(LINK, "the cart token is the cart's only key"),
    "cart:update": Rule(LINK, "the cart token is the cart's only key", "post"),
    "checkout:start": Rule(LINK, "checking out a cart needs its token"),
    "checkout:return": Rule(LINK, "back from the processor with the order's own return link"),
    "cart:voucher": Rule(LINK, "a discount code on a cart, by its token", "post"),
    "cart:held_update": Rule(HELD, "the cart the browser's own cookie holds", "post"),
    "cart:held_voucher": Rule(HELD, "a code on the cart the browser's own cookie holds", "post"),
    "checkout:held": Rule(HELD, "checking out the cart the browser's own cookie holds"),
    "checkout:held_voucher": Rule(HELD, "a code at checkout, cart from the cookie", "post"),
    "checkout:voucher": Rule(LINK, "a discount code at checkout, by the cart's token", "post"),
    "consent:cookies": Rule(PUBLIC, "the cookie page"),
    "consent:choose": Rule(PUBLIC, "anyone can choose cookies", "post"),
    "policies:index": Rule(PUBLIC, "policies are public"),
    "policies:current": Rule(PUBLIC, "policies are public"),
    "policies:archive": Rule(PUBLIC, "every past version is public (C8.x)"),
    "policies:version": Rule(PUBLIC, "every past version is public"),
    "policies:changes": Rule(PUBLIC, "what changed is public"),
    "policies:manage": only(AD, why="publishing policy versions"),
    "healthz": Rule(PUBLIC, "load balancer probe, no personal data"),
    "analytics:beacon": Rule(PUBLIC, "page-view beacon, anonymised at ingestion", "post"),
    "analytics:reports": only(CM, AD, why="aggregate reports"),
    "analytics:report_csv": only(CM, AD, why="aggregate reports"),
    "shipping:carrier_webhook": Rule(
        frozenset(),
        "only the carrier's calls signed with the shared secret (401 otherwise)",
        "post",
    ),
    "orders:payment_webhook": Rule(
        frozenset(),
        "only the payment processor's calls signed with the shared secret (401 otherwise)",
        "post",
    ),
    # accounts
    "accounts:login": Rule(PUBLIC, "signing in"),
    "accounts:logout": Rule(PUBLIC, "signing out", "post"),
    "accounts:signup": Rule(PUBLIC, "creating an account"),
    "accounts:signup_done": Rule(PUBLIC, "'check your email' after a sign-up"),
    "accounts:otp": Rule(SIGNED_IN, "the second-factor page"),
    "accounts:marketing": Rule(SIGNED_IN, "one's own marketing choice", "post"),
    "accounts:password_change": Rule(SIGNED_IN, "one's own password"),
    "accounts:password_change_done": Rule(SIGNED_IN, "one's own password"),
    "accounts:password_reset": Rule(PUBLIC, "asking for a reset link"),
    "accounts:password_reset_done": Rule(PUBLIC, "'check your email'"),
    "accounts:password_reset_confirm": Rule(LINK, "the emailed reset link"),
    "accounts:password_reset_complete": Rule(PUBLIC, "'your password is set'"),
    "accounts:centre": Rule(SIGNED_IN, "one's own account centre"),
    "accounts:invitation": Rule(LINK, "a new staff member's emailed invitation"),
    "inbox:inbox": Rule(CUSTOMER, "one's own inbox; staff get theirs nowhere (no messages)"),
    "inbox:message": Rule(OWNER, "a message to one person"),
    # customer service (issue 23)
    "support:help": Rule(PUBLIC, "who runs the store and how to reach it"),
    "support:mine": Rule(CUSTOMER, "one's own conversations; staff answer in the back office"),
    "support:new": Rule(CUSTOMER, "asking about one's own orders or in general"),
    "support:conversation": Rule(OWNER, "a conversation with one person"),
    "support:notices": Rule(CUSTOMER, "one's own email-notice choice"),
    "support:outbox": only(why="development only: no such page in any other profile"),
    "support:guest": Rule(LINK, "a guest's signed order link, then the order number"),
    "support:visitor": Rule(PUBLIC, "asking about a product with an email code, no account"),
    "support:visitor_conversation": Rule(LINK, "a visitor's signed conversation link"),
    "support:staff_queue": only(AS, F, PO, why="the conversations in one's role's queue"),
    "support:staff_search": only(AS, F, PO, why="search one's queue", method="post"),
    "support:staff_notices": only(AS, F, PO, why="one's own alert choice", method="post"),
    "support:staff_conversation": only(AS, why="a conversation in after-sales' queue"),
    "reviews:write": Rule(OWNER, "reviewing a product of one's own delivered order"),
    "reviews:mine": Rule(CUSTOMER, "one's own reviews"),
    "reviews:moderation": only(AS, why="reading reviews to publish or reject them (C4.3)"),
    # orders and returns
    "orders:mine": Rule(SIGNED_IN, "one's own orders"),
    "orders:detail": Rule(OWNER, "an order shows its delivery address"),
    "orders:guest": Rule(LINK, "a guest's signed order link"),
    "orders:cancel": Rule(OWNER, "cancelling one's own order (GET asks to confirm)"),
    "orders:guest_cancel": Rule(LINK, "a guest's signed order link, then the order number"),
    "orders:buy_again": Rule(OWNER, "one's own released order back into a cart", "post"),
    "orders:guest_buy_again": Rule(
        LINK, "a guest's signed order link, then the order number", "post"
    ),
    "orders:warehouse": only(W, why="fulfilment queue"),
    "orders:slip": only(W, why="packing slip with the address"),
    "orders:processing": only(W, why="fulfilment", method="post"),
    "orders:ship": only(W, why="fulfilment", method="post"),
    "returns:start": Rule(OWNER, "returning one's own order"),
    "returns:detail": Rule(OWNER, "one's own return"),
    "returns:guest": Rule(LINK, "a guest's signed order link"),
    # privacy
    "privacy:centre": Rule(SIGNED_IN, "one's own privacy centre"),
    "privacy:create": Rule(SIGNED_IN, "requests about oneself", "post"),
    "privacy:request": Rule(OWNER, "one's own subject request"),
    "privacy:download": Rule(OWNER, "the access file: its link and its person"),
    "privacy:email": Rule(SIGNED_IN, "correcting one's own email", "post"),
    "privacy:address": Rule(OWNER, "correcting one's own saved address"),
    "privacy:order_address": Rule(OWNER, "changing one's own order's delivery address"),
    "privacy:guest": Rule(PUBLIC, "guests prove their email with a code"),
    "privacy:guest_code": Rule(PUBLIC, "guests prove their email with a code", "post"),
    "privacy:queue": only(PO, why="subject requests"),
    "privacy:queue_request": only(PO, why="subject requests"),
    "privacy:approve": only(PO, why="erasure approval", method="post"),
    "privacy:decide": only(PO, why="request decisions", method="post"),
    "privacy:correct": only(PO, why="corrections", method="post"),
    "privacy:confirm_redaction": only(PO, why="a partner's answer to a redaction", method="post"),
    "privacy:extend": only(PO, why="a request's due date, extended once", method="post"),
    "privacy:lift_restriction": only(PO, why="lifting a restriction of processing", method="post"),
    "privacy:restrict": Rule(SIGNED_IN, "restricting the processing of one's own data", "post"),
    "privacy:visitor_start": Rule(LINK, "a visitor's signed conversation link", "post"),
    "privacy:visitor_confirm": Rule(LINK, "a visitor's signed conversation link", "post"),
    "privacy:visitor_request": Rule(LINK, "a visitor's signed link to their own request"),
    "sharing:key_pem": Rule(PUBLIC, "the public key that signs deletion certificates"),
    "sharing:key_jwk": Rule(PUBLIC, "the public key that signs deletion certificates"),
    "sharing:certificate": Rule(LINK, "an erased person's certificate: its reference is its key"),
    "sharing:certificate_json": Rule(LINK, "an erased person's certificate: its reference"),
    # marketing
    "marketing:promotions": only(CM, why="campaigns"),
    "marketing:send": only(CM, why="campaigns", method="post"),
    "marketing:opt_out": Rule(LINK, "one-click opt-out from a promotion"),
    # back office
    "staff:index": Rule(STAFF, "each role's start page"),
    "staff:warehouse": only(W, why="warehouse queue"),
    "staff:after_sales": only(AS, why="after-sales queue"),
    "staff:finance": only(F, why="refund queue"),
    "staff:privacy": only(PO, why="privacy officer's queue"),
    "staff:audit_log": only(PO, why="the audit log"),
    # breach incidents (lookout/incidents, C4.8)
    "incidents:list": only(PO, why="breach incidents"),
    "incidents:record": only(PO, why="recording a breach incident"),
    "incidents:detail": only(PO, why="an incident's blast radius and notices"),
    "incidents:recompute": only(PO, why="recomputing a blast radius", method="post"),
    "incidents:notify": only(PO, why="notifying the affected people", method="post"),
    "incidents:authority": only(PO, why="recording the authority notice", method="post"),
    "incidents:reveal_email": only(PO, why="an affected person's email, audited", method="post"),
    "staff:catalog": only(CM, why="catalog queue"),
    "staff:administrator": only(AD, why="staff accounts"),
    "staff:create_staff": only(AD, why="staff accounts", method="post"),
    "staff:change_role": only(AD, why="staff accounts", method="post"),
    "staff:resend_invitation": only(AD, why="staff accounts", method="post"),
    "staff:reset_second_factor": only(AD, why="staff accounts", method="post"),
    "staff:deactivate_staff": only(AD, why="staff accounts", method="post"),
    "staff:set_display_name": only(AD, why="staff accounts", method="post"),
    "staff:receive": only(W, why="returns", method="post"),
    "staff:issue_label": only(AS, why="returns", method="post"),
    "staff:accept": only(AS, why="returns", method="post"),
    "staff:reject": only(AS, why="returns", method="post"),
    "staff:open_dispute": only(AS, why="disputes", method="post"),
    "staff:cancel_order": only(AS, why="cancelling an order before it ships", method="post"),
    "staff:settle": only(F, why="refunds", method="post"),
    # The order desk (issue 20): roles that handle orders; by email only those granted a
    # customer's email; each action only the roles that take it (lookout/staff/desk_selectors).
    "staff:desk": only(AS, W, F, PO, why="order desk: search and late orders"),
    "staff:desk_email_search": only(AS, PO, why="finding orders by email", method="post"),
    "staff:desk_order": only(AS, W, F, PO, why="an order's whole history"),
    "staff:desk_cancel": only(AS, why="cancelling an order before it ships", method="post"),
    "staff:desk_resend_tracking": only(AS, why="tracking sent again", method="post"),
    "staff:desk_add_note": only(AS, W, F, why="internal notes on an order", method="post"),
    "compliance:self_audit": only(PO, why="the live self-audit report"),
    # JSON API (method from the OpenAPI document)
    "api:openapi-json": Rule(PUBLIC, "the API's description"),
    "api:openapi-view": Rule(PUBLIC, "the API's docs page"),
    "api:api-root": Rule(frozenset(), "Ninja's root: a 404 for everyone"),
    "api:list_categories": Rule(PUBLIC, "catalog"),
    "api:category_products": Rule(PUBLIC, "catalog"),
    "api:product_detail": Rule(PUBLIC, "catalog"),
    "api:search": Rule(PUBLIC, "catalog"),
    "api:create_cart": Rule(PUBLIC, "opens a cart for anyone"),
    "api:read_cart": Rule(LINK, "the cart token is the cart's only key"),
    "api:add_item": Rule(LINK, "the cart token is the cart's only key"),
    "api:set_item": Rule(LINK, "the cart token is the cart's only key"),
    "api:remove_item": Rule(LINK, "the cart token is the cart's only key"),
    "api:create_order": Rule(LINK, "guest checkout of a cart, by its token"),
    "api:apply_voucher": Rule(LINK, "a discount code on a cart, by its token"),
    "api:remove_voucher": Rule(LINK, "a discount code on a cart, by its token"),
}

# The Django admin, matched by name or route prefix: its own sign-in page refuses anyone not
# staff; inside, a role reaches only the models its group has permissions on
# (lookout/staff/backends.py): the catalog manager the catalog, nobody the rest. A model newly
# registered in the admin has no rule here, so the test fails until someone decides.
NOBODY = frozenset[str]()
ADMIN_RULES: dict[str, Rule] = {
    "admin:login": Rule(PUBLIC, "the admin's sign-in page"),
    "admin/login/": Rule(PUBLIC, "the admin's sign-in page, routed through the attempt limiter"),
    "admin/password_change/": Rule(STAFF, "one's own password, through the attempt limiter"),
    "admin:logout": Rule(STAFF, "signing out of the admin (others are sent to its index)", "post"),
    "admin:index": Rule(STAFF, "the admin shell lists only what the role may see"),
    "admin:password_change": Rule(STAFF, "one's own password"),
    "admin:password_change_done": Rule(STAFF, "one's own password"),
    "admin:jsi18n": Rule(STAFF, "the admin's script translations"),
    "admin:view_on_site": Rule(STAFF, "a redirect to the public product page"),
    "admin:autocomplete": Rule(NOBODY, "only with a model field the role may see; none here"),
    "admin:app_list": only(CM, why="the catalog app's page"),
    "admin:catalog_": only(CM, why="products and categories"),
    "admin/catalog/": only(CM, why="products and categories"),
    "admin:vouchers_": only(CM, why="discount codes (vouchers 0002 grants the group)"),
    "admin/vouchers/": only(CM, why="discount codes"),
    "admin:auth_": Rule(NOBODY, "groups follow roles (data migration), never edited by hand"),
    "admin/auth/": Rule(NOBODY, "groups follow roles"),
    "admin:consent_": Rule(NOBODY, "cookie inventory and receipts: read-only evidence"),
    "admin/consent/": Rule(NOBODY, "cookie inventory and receipts"),
    "admin:django_tasks_database_": Rule(NOBODY, "task results may name people"),
    "admin/django_tasks_database/": Rule(NOBODY, "task results may name people"),
    "admin/(?P<url>.*)$": Rule(NOBODY, "the admin's catch-all answers 404"),
}

SECOND_FACTOR_OPEN = frozenset({"accounts:otp", "accounts:logout"})


def rule_for(name: str) -> Rule | None:
    if name in RULES:
        return RULES[name]
    matches = [p for p in ADMIN_RULES if name.startswith(p)]
    return ADMIN_RULES[max(matches, key=len)] if matches else None
