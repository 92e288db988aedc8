"""Every URL pattern and every API operation, called as every kind of visitor: only those the
rules table (access_rules.py) lets in reach it; everyone else is sent to sign in or gets a 403 or
404, and a refused call changes nothing (C4.3, C4.5). An endpoint without a rule fails the test.

Objects named in URLs are real (world.py): the owner's own order, return, request, access file,
address and message, so an owner-only page is tried by its owner (allowed) and by another
customer (refused). POST actions that move an object on get a fresh object for each visitor.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.db import connections, router
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.crypto import get_random_string

from lookout.core.tokens import CART_COOKIE
from tests.security import world as w
from tests.security.access_rules import (
    CUSTOMER,
    HELD,
    LINK,
    OWNER,
    PUBLIC,
    SECOND_FACTOR_OPEN,
    SIGNED_IN,
    Rule,
    rule_for,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("partners", "policies", "dispute_vendor"),
]


@dataclass(frozen=True)
class Target:
    name: str
    route: str
    method: str | None  # from the OpenAPI document; None: the rule says


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}:{entry.namespace}".strip(":") if entry.namespace else ns
            found += _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{ns}:{entry.name}".strip(":") if entry.name else route
            found.append((name, route))
    return found


def api_operations() -> list[Target]:
    from lookout.api import api

    document = api.get_openapi_schema()
    return [
        Target(f"api:{op['operationId'].split('_api_', 1)[-1]}", path, method)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]


def targets() -> list[Target]:
    """Every named URL pattern (admin included) and every API operation."""
    operations = api_operations()
    named = {t.name for t in operations}
    pages = [
        Target(name, route, None) for name, route in _walk(get_resolver()) if name not in named
    ]
    return pages + operations


# ---- URL kwargs from real objects --------------------------------------------------------


def _fresh_return(state: str) -> Callable[[w.World], dict[str, Any]]:
    return w.fresh(lambda world: {"return_id": w.return_in_state(world.people, state).id})


def _fresh_refund(world: w.World) -> dict[str, Any]:
    return {"refund_id": w.return_in_state(world.people, "refund_pending").refund.id}


def _fresh_request(kind: str) -> Callable[[w.World], dict[str, Any]]:
    """A new customer's request each time (re-entering one's password is rate-limited)."""

    def build(world: w.World) -> dict[str, Any]:
        from lookout.accounts.services import create_account

        person = create_account(
            email=f"asker.{uuid.uuid4().hex[:6]}@example.com", password=w.PASSWORD
        )
        return {"request_id": w.subject_request(person, kind=kind, build=False).id}

    return w.fresh(build)


def _fresh_staff(world: w.World) -> dict[str, Any]:
    from lookout.accounts.services import create_account

    user = create_account(
        email=f"new.{uuid.uuid4().hex[:6]}@example.com", password=w.PASSWORD, role="finance"
    )
    return {"user_id": user.pk}


def _fresh_invitation(world: w.World) -> dict[str, Any]:
    from lookout.accounts import invitations
    from lookout.accounts.services import create_account

    user = create_account(
        email=f"invited.{uuid.uuid4().hex[:6]}@example.com", password=None, role="warehouse"
    )
    return {"token": invitations.issue(user=user, site_url="http://testserver/")[1]}


def _fresh_promotion(world: w.World) -> dict[str, Any]:
    from lookout.marketing.services import create_promotion

    manager = world.people["catalog_manager"]
    return {"promotion_id": create_promotion(title="Deal", body="Cheap.", actor=manager).id}


def _conversation(world: w.World) -> Any:
    """The customer's conversation, in after-sales' queue (made once per world)."""
    from lookout.support.services import open_conversation

    if "conversation" not in world.extra:
        world.extra["conversation"] = open_conversation(
            subject=world.people["customer"].subject, topic="general", body="A question."
        ).id
    return world.extra["conversation"]


def _visitor_link(world: w.World) -> str:
    """The signed link of a visitor's conversation about the product (made once per world)."""
    from lookout.support import visitors

    if "visitor_link" not in world.extra:
        visitor = visitors.Visitor(
            subject=visitors.new_subject(kind="guest"),
            email_index="-",
            code_hash="-",
            expires_at=visitors.timezone.now(),
        )
        visitor.email = "visitor@example.com"
        visitor.save(force_insert=True)
        conversation = visitors.open_for_visitor(
            visitor=visitor, product=world.product, body="A question."
        )
        world.extra["visitor_link"] = visitors.follow_token(conversation)
    return world.extra["visitor_link"]


def _incident(world: w.World) -> dict[str, Any]:
    """A recorded breach incident (lookout/incidents), made once and shared."""
    from datetime import timedelta

    from django.utils import timezone

    from lookout.incidents.models import Incident

    found = Incident.objects.order_by("recorded_at").first()
    if found is None:
        now = timezone.now()
        found = Incident.objects.create(
            kind="backup",
            started_at=now - timedelta(hours=1),
            ended_at=now,
            due_at=now + timedelta(hours=72),
            recorded_by=uuid.uuid4(),
            measures="Access-control test.",
        )
    return {"incident_id": found.id}


def _voucher(world: w.World) -> dict[str, Any]:
    """A discount code (lookout.vouchers), for the admin's pages about one."""
    from lookout.vouchers.models import Voucher

    found = Voucher.objects.order_by("pk").first()
    if found is None:
        found = Voucher.objects.create(code="ACCESS-TEST", percent=10)
    return {"object_id": found.pk}


def _photo_file(world: w.World) -> dict[str, Any]:
    """A stored product photo rendition (made once per world)."""
    if "photo_file" not in world.extra:
        from io import BytesIO

        from PIL import Image

        from lookout.catalog import photos

        image = BytesIO()
        Image.new("RGB", (200, 150), (40, 110, 170)).save(image, "PNG")
        photo = photos.add_photo(product=world.product, upload=image, alt_text="A test photo")
        world.extra["photo_file"] = photo.renditions[0]["webp"]
    return {"name": world.extra["photo_file"]}


def _certificate(world: w.World) -> dict[str, Any]:
    """An erased person's deletion certificate (lookout.sharing.redaction), made once."""
    if "certificate" not in world.extra:
        from django.utils import timezone

        from lookout.sharing.models import DeletionCertificate
        from lookout.sharing.redaction import certificate_reference

        made = DeletionCertificate.objects.create(
            reference=certificate_reference(uuid.uuid4()),
            subject_ref="0" * 32,
            key_destroyed_at=timezone.now(),
        )
        world.extra["certificate"] = made.reference
    return {"token": world.extra["certificate"]}


def _fresh_redaction(world: w.World) -> dict[str, Any]:
    """A partner's redaction request waiting for its answer."""
    from datetime import timedelta

    from django.utils import timezone

    from lookout.sharing.models import Partner, RedactionRequest

    _certificate(world)
    partner = Partner.objects.order_by("name").first()
    assert partner is not None
    found = RedactionRequest.objects.create(
        certificate_id=world.extra["certificate"],
        partner=partner,
        subject=uuid.uuid4(),
        fields=["orders.Delivery.name"],
        due_at=timezone.now() + timedelta(days=30),
    )
    return {"redaction_id": found.pk}


def _fresh_restriction(world: w.World) -> dict[str, Any]:
    """A restriction of processing in force, for a person of its own."""
    from lookout.privacy.models import ProcessingRestriction, RestrictionGround, Via

    made = ProcessingRestriction.objects.create(
        subject=uuid.uuid4(), ground=RestrictionGround.ACCURACY, via=Via.ACCOUNT
    )
    return {"restriction_id": made.pk}


def _visitor_request_link(world: w.World) -> str:
    """The signed link a visitor follows their own request with (support.visitors)."""
    from lookout.support import visitors

    return visitors.request_token(world.access_request.id)


KWARGS: dict[str, Callable[[w.World], dict[str, Any]]] = {
    "catalog:category": lambda x: {"slug": x.category.slug},
    "catalog:product": lambda x: {"slug": x.product.slug},
    "product_reviews": lambda x: {"slug": x.product.slug},
    "catalog:image": lambda x: {"sku": x.product.sku},
    "catalog:photo_file": _photo_file,
    "cart:detail": lambda x: {"token": x.cart_token},
    "cart:update": lambda x: {"token": x.cart_token},
    "checkout:start": lambda x: {"token": x.cart_token},
    "cart:voucher": lambda x: {"token": x.cart_token},
    "checkout:voucher": lambda x: {"token": x.cart_token},
    "checkout:return": lambda x: {"order_id": x.guest_order.id, "?access": x.return_token},
    "accounts:password_reset_confirm": lambda x: {"uidb64": x.reset[0], "token": x.reset[1]},
    "inbox:message": lambda x: {"message_id": x.message.id},
    "orders:detail": lambda x: {"number": x.order.number},
    "orders:guest": lambda x: {"token": x.guest_token},
    "orders:cancel": lambda x: {"number": x.order.number},
    "orders:guest_cancel": lambda x: {"token": x.guest_token},
    "orders:buy_again": lambda x: {"number": x.order.number},
    "orders:guest_buy_again": lambda x: {"token": x.guest_token},
    "orders:slip": lambda x: {"order_id": x.guest_order.id},
    "orders:processing": w.fresh(lambda x: {"order_id": w.paid_order().id}),
    "orders:ship": w.fresh(lambda x: {"order_id": w.paid_order().id}),
    "returns:start": lambda x: {"number": x.order.number},
    "returns:detail": lambda x: {"number": x.ret.number},
    "returns:guest": lambda x: {"token": x.guest_token},
    "policies:current": lambda x: {"document": "privacy"},
    "policies:archive": lambda x: {"document": "privacy"},
    "policies:version": lambda x: {"document": "privacy", "number": 1},
    "policies:changes": lambda x: {"document": "privacy", "number": 1},
    "privacy:request": lambda x: {"request_id": x.access_request.id},
    "privacy:download": lambda x: {"token": x.download_token},
    "privacy:address": lambda x: {"address_id": x.address.id},
    "privacy:order_address": lambda x: {"number": x.order.number},
    "privacy:queue_request": lambda x: {"request_id": x.access_request.id},
    "privacy:approve": _fresh_request("deletion"),
    "privacy:decide": _fresh_request("access"),
    "privacy:correct": _fresh_request("correction"),
    "privacy:confirm_redaction": w.fresh(_fresh_redaction),
    "privacy:extend": _fresh_request("access"),
    "privacy:lift_restriction": w.fresh(_fresh_restriction),
    "privacy:visitor_start": lambda x: {"token": _visitor_link(x)},
    "privacy:visitor_confirm": lambda x: {"token": _visitor_link(x)},
    "privacy:visitor_request": lambda x: {"token": _visitor_request_link(x)},
    "sharing:certificate": _certificate,
    "sharing:certificate_json": _certificate,
    "marketing:send": w.fresh(_fresh_promotion),
    "marketing:opt_out": lambda x: {"token": x.opt_out_token},
    "analytics:report_csv": lambda x: {"name": "products"},
    "staff:change_role": w.fresh(_fresh_staff),
    "accounts:invitation": w.fresh(_fresh_invitation),
    "staff:receive": _fresh_return("label_issued"),
    "staff:issue_label": _fresh_return("requested"),
    "staff:accept": _fresh_return("received"),
    "staff:reject": _fresh_return("received"),
    "staff:settle": w.fresh(_fresh_refund),
    "staff:desk_order": lambda x: {"number": x.order.number},
    "staff:desk_cancel": lambda x: {"number": x.order.number},
    "staff:desk_resend_tracking": lambda x: {"number": x.order.number},
    "staff:desk_add_note": lambda x: {"number": x.order.number},
    "incidents:detail": _incident,
    "incidents:recompute": _incident,
    "incidents:notify": _incident,
    "incidents:authority": _incident,
    "incidents:reveal_email": _incident,
    "support:guest": lambda x: {"token": x.guest_token},
    "support:visitor": lambda x: {"?product": x.product.sku},
    "support:visitor_conversation": lambda x: {"token": _visitor_link(x)},
    "support:conversation": lambda x: {"conversation_id": _conversation(x)},
    "support:staff_conversation": lambda x: {"conversation_id": _conversation(x)},
    "reviews:write": lambda x: {"slug": x.product.slug},
    "api:category_products": lambda x: {"slug": x.category.slug},
    "api:product_detail": lambda x: {"sku": x.product.sku},
    "api:read_cart": lambda x: {"token": x.cart_token},
    "api:add_item": lambda x: {"token": x.cart_token},
    "api:set_item": lambda x: {"token": x.cart_token, "sku": x.product.sku},
    "api:apply_voucher": lambda x: {"token": x.cart_token},
    "api:remove_voucher": lambda x: {"token": x.cart_token},
    "admin:vouchers_voucher_change": _voucher,
    "admin:vouchers_voucher_delete": _voucher,
    "admin:vouchers_voucher_history": _voucher,
    "admin/vouchers/voucher/<path:object_id>/": _voucher,
    "api:remove_item": w.fresh(lambda x: {"token": w.cart_with(x.product), "sku": x.product.sku}),
}
# Bodies for POSTs the access check reads before the form (the staff dispute names an order).
BODIES: dict[str, Callable[[w.World], dict[str, Any]]] = {
    "staff:open_dispute": lambda x: {"order": x.order.number, "reason": "not_as_described"},
    "orders:guest_buy_again": lambda x: {"number": x.guest_order.number},
    "api:add_item": lambda x: {"sku": x.product.sku, "quantity": 1},
    "api:set_item": lambda x: {"quantity": 1},
    # a code that cannot be one: answered 400, about the input, for whoever holds the cart
    "cart:voucher": lambda x: {"code": "?"},
    "checkout:voucher": lambda x: {"code": "?"},
    "api:apply_voucher": lambda x: {"code": "?"},
}


def _admin_model(target: Target) -> Any:
    """The model an admin URL is about (named `admin:<app>_<model>_<action>`, or by route)."""
    from django.contrib import admin

    for model in admin.site._registry:
        meta = model._meta
        if target.name.startswith(f"admin:{meta.app_label}_{meta.model_name}_") or (
            target.route.startswith(f"admin/{meta.app_label}/{meta.model_name}/")
        ):
            return model
    return None


def admin_kwargs(target: Target, world: w.World) -> dict[str, Any]:
    """Real objects for the admin's URLs: the model's first row (a product, a category...)."""
    from django.contrib.contenttypes.models import ContentType

    model = _admin_model(target)
    if target.name == "admin:app_list":
        return {"app_label": "catalog"}
    if target.name == "admin:view_on_site":
        return {
            "content_type_id": ContentType.objects.get_for_model(world.product).pk,
            "object_id": world.product.pk,
        }
    if model is None or "object_id" not in target.route:
        return {}
    first = model._default_manager.order_by("pk").first()
    return {"object_id": first.pk if first is not None else uuid.uuid4()}


def url_of(target: Target, kwargs: dict[str, Any]) -> str:
    query = {k[1:]: v for k, v in kwargs.items() if k.startswith("?")}
    params = {k: v for k, v in kwargs.items() if not k.startswith("?")}
    if target.method is not None:  # an API operation: fill the OpenAPI path
        path = "/api/v1" + target.route if not target.route.startswith("/api/v1") else target.route
        path = path.format(**params)
    elif target.route.endswith("(?P<url>.*)$"):  # the admin's catch-all
        path = "/admin/no-such-page/"
    elif target.name == target.route:  # an unnamed pattern, e.g. healthz, admin redirects
        path = "/" + target.route.replace("<path:object_id>", str(params.get("object_id", "")))
    else:
        path = reverse(target.name, kwargs=params)
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query)
    return path


REFUSING_PAGES = ("/accounts/login/", "/accounts/otp/", "/admin/login/")


def reached(response: Any, path: str) -> bool:
    """The page answered for itself (see access_rules): no hop to sign-in or to the second
    factor, not 401, 403 or 404. The admin answers an object it will not show with a redirect
    to its index, which counts as refused too."""
    status = response.status_code
    assert status != 405, "the rule's method does not match the endpoint"
    assert status < 500, f"server error {status}"
    hops = [urlsplit(url).path for url, _ in getattr(response, "redirect_chain", [])]
    if 300 <= status < 400:
        hops.append(urlsplit(response["Location"]).path)
    if any(hop in REFUSING_PAGES for hop in hops):
        return False
    if path.startswith("/admin/") and path != "/admin/login/" and "/admin/" in hops:
        return False
    return status not in (401, 403, 404)


def allowed(rule: Rule, actor: str) -> bool:
    if rule.who in (PUBLIC, LINK, HELD):
        return True
    if rule.who == SIGNED_IN:
        return actor != "anonymous"
    if rule.who == CUSTOMER:
        return actor in w.CUSTOMERS
    if rule.who == OWNER:
        return actor == "customer"
    return actor in rule.who


@functools.cache
def _snapshot_queries() -> tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...]], ...]:
    """Per database, the two queries `snapshot` runs there, with the keys of what they read:
    the row count of every model's table, in one row, and the (primary key, status) of every
    row of the models that have a status, in one UNION. Built once: the models do not change,
    and the walk reads them more than a thousand times (through the ORM that was fifteen
    queries, each compiled again, per snapshot)."""
    by_alias: dict[str, list[Any]] = {}
    for model in apps.get_models():
        if model._meta.label in ("sessions.Session",) or not model._meta.managed:
            continue
        by_alias.setdefault(router.db_for_read(model), []).append(model)
    queries = []
    for alias, models in by_alias.items():
        quote = connections[alias].ops.quote_name
        counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
        with_status = [
            (m, f.column) for m in models for f in m._meta.concrete_fields if f.name == "status"
        ]
        statuses = " UNION ALL ".join(
            f"SELECT '{m._meta.label}', CAST({quote(m._meta.pk.column)} AS TEXT), "
            f"CAST({quote(column)} AS TEXT) FROM {quote(m._meta.db_table)}"
            for m, column in with_status
        )
        queries.append(
            (
                alias,
                f"SELECT {counts}",  # table and column names come from the models
                tuple(m._meta.label for m in models),
                statuses,
                tuple(m._meta.label for m, _ in with_status),
            )
        )
    return tuple(queries)


def snapshot() -> dict[str, Any]:
    """Rows of every model (and every status), except sessions: proof a refusal wrote nothing.

    The row counts of all tables are read with one query per database, and the status of
    every row of every model that has one with one more (this runs before and after more than
    a thousand refused calls)."""
    state: dict[str, Any] = {}
    for alias, counts, counted, statuses, with_status in _snapshot_queries():
        with connections[alias].cursor() as cursor:
            cursor.execute(counts)
            row = cursor.fetchone()
            state.update(zip(counted, row, strict=True))
            if statuses:
                state.update({label + ".status": [] for label in with_status})
                cursor.execute(statuses)
                for label, pk, status in cursor.fetchall():
                    state[label + ".status"].append((pk, status))
    for label in state:
        if label.endswith(".status"):
            state[label].sort()
    from lookout.accounts.models import User

    state["roles"] = sorted(
        (str(pk), role, is_active)
        for pk, role, is_active in User.objects.values_list("pk", "role", "is_active")
    )
    return state


def build_kwargs(target: Target, world: w.World) -> dict[str, Any]:
    return KWARGS.get(target.name, lambda x: admin_kwargs(target, x))(world)


# What signing in put in each person's session (per user, session hash and second factor).
_SIGNED_IN: dict[tuple[object, str, bool], dict[str, Any]] = {}


def browser(actor: str, people: dict[str, Any]) -> Any:
    """`w.client_for(actor, people)`: a fresh browser with a session of its own, holding what
    signing in put there (staff past their second factor). The session is stored with one
    INSERT of a new random key, instead of the session store's create(), which first asks the
    database whether the key is taken and then inserts inside a savepoint: four round trips,
    for each of the walk's two thousand browsers. A key of 32 random characters is free; were
    it taken, the INSERT would fail rather than overwrite."""
    if actor == "anonymous":
        return w.client_for(actor, people)
    user = people[actor]
    key = (user.pk, user.get_session_auth_hash(), bool(user.role))
    contents = _SIGNED_IN.get(key)
    if contents is None:
        client = w.client_for(actor, people)
        _SIGNED_IN[key] = dict(client.session.items())
        return client
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(contents)
    session_key = get_random_string(32, VALID_KEY_CHARS)
    store.model.objects.create(
        session_key=session_key,
        session_data=store.encode(contents),
        expire_date=store.get_expiry_date(),
    )
    client = Client()
    # the cookie as Django's test client sets it at sign-in (Client._login)
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    cookie["path"] = "/"
    cookie["domain"] = settings.SESSION_COOKIE_DOMAIN or ""
    cookie["secure"] = "true" if settings.SESSION_COOKIE_SECURE else ""
    return client


def call(
    target: Target,
    rule: Rule,
    world: w.World,
    actor: str,
    kwargs: dict[str, Any] | None = None,
    client: Any = None,
    follow: bool = True,
):
    kwargs = build_kwargs(target, world) if kwargs is None else kwargs
    body = BODIES.get(target.name, lambda _: {})(world)
    if client is None:
        client = browser(actor, world.people)
        # one server for every browser of the walk: its middleware loaded once, not by each
        # new browser's first request (a browser is its cookies; the server keeps no state)
        client.handler = world.extra.setdefault("server", client.handler)
    if rule.who == HELD:  # the credential is the cart cookie: the world's cart in it
        client.cookies[CART_COOKIE] = world.cart_token
    method = (target.method or rule.method).lower()
    path = url_of(target, kwargs)
    if method in ("get", "head"):
        return path, client.get(path, follow=follow)
    if target.method is not None:  # JSON API: a JSON body
        return path, getattr(client, method)(path, body, content_type="application/json")
    return path, getattr(client, method)(path, body)


@pytest.mark.commitment("C4.3", "C4.5")
def test_every_endpoint_has_an_access_rule():
    # given every URL pattern and API operation of the site
    missing = sorted({t.name for t in targets() if rule_for(t.name) is None})
    # then each has a rule saying who may reach it
    assert not missing, (
        "endpoints without an access rule (add them to tests/security/access_rules.py):\n"
        + "\n".join(missing)
    )


@pytest.mark.commitment("C4.3", "C4.5")
def test_each_endpoint_is_reached_only_by_whom_its_rule_allows_and_a_refusal_changes_nothing():
    # given one of every object, and every visitor: anonymous, two customers, each staff role
    world = w.build_world()
    wrong: list[str] = []
    for target in targets():
        rule = rule_for(target.name)
        assert rule is not None, target.name
        fresh = getattr(KWARGS.get(target.name), "fresh", False)
        kwargs = build_kwargs(target, world)
        # refused visitors first: a refusal leaves the object as it was, so they share it; the
        # state after one refusal that changed nothing is the state before the next (nothing
        # runs in between), so it is read once, not twice
        unchanged: dict[str, Any] | None = None
        for actor in sorted(w.ACTORS, key=lambda a: allowed(rule, a)):
            before = (unchanged or snapshot()) if not allowed(rule, actor) else None
            unchanged = None
            # when the actor calls the endpoint
            path, response = call(target, rule, world, actor, kwargs)
            # then it answers only those the rule allows
            if reached(response, path) != allowed(rule, actor):
                wrong.append(
                    f"{target.name} ({path}) as {actor}: {response.status_code} "
                    f"{response.get('Location', '')} — rule says "
                    f"{'allowed' if allowed(rule, actor) else 'refused'}"
                )
            # and a refusal left everything as it was
            elif before is not None:
                if (after := snapshot()) != before:
                    changed = [k for k in after if after[k] != before.get(k)]
                    wrong.append(f"{target.name} as {actor}: refused but changed {changed}")
                else:
                    unchanged = after
            if fresh and allowed(rule, actor):
                kwargs = build_kwargs(target, world)  # the allowed call moved the object on
    assert not wrong, "\n".join(wrong)


@pytest.mark.commitment("C4.5", "C4.7")
def test_staff_without_the_second_factor_reach_only_the_second_factor_page():
    # given a staff member of each role who signed in but has not passed the second factor
    world = w.build_world()
    clients = {role: w.client_for(role, world.people, second_factor=False) for role in w.ROLES}
    wrong = []
    for target in targets():
        rule = rule_for(target.name)
        assert rule is not None
        kwargs = build_kwargs(target, world)  # nothing moves: the objects can be shared
        for actor in w.ROLES:
            # when they call any endpoint (signing out is tried last: it ends the session)
            if target.name.endswith(":logout"):
                clients[actor] = w.client_for(actor, world.people, second_factor=False)
            path, response = call(
                target, rule, world, actor, kwargs, client=clients[actor], follow=False
            )
            # then only the second-factor page and signing out answer
            if reached(response, path) != (target.name in SECOND_FACTOR_OPEN):
                wrong.append(f"{target.name} ({path}) as {actor}: {response.status_code}")
            if target.name.endswith(":logout"):
                clients[actor] = w.client_for(actor, world.people, second_factor=False)
    assert not wrong, "\n".join(wrong)


@pytest.mark.commitment("C4.5")
def test_a_tampered_link_is_refused_to_everyone():
    # given every endpoint whose credential is the link itself, with its token altered
    world = w.build_world()
    wrong = []
    for target in targets():
        rule = rule_for(target.name)
        assert rule is not None
        if rule.who != LINK or target.name == "api:create_order":
            continue  # the checkout API's token travels in the body: see test_abuse
        kwargs = KWARGS[target.name](world)
        key = "?access" if "?access" in kwargs else "token"
        token = str(kwargs[key])
        kwargs[key] = token[:-4] + ("BBBB" if token.endswith("AAAA") else "AAAA")
        body = BODIES.get(target.name, lambda _: {})(world)
        for actor in ("anonymous", "other_customer"):
            client = w.client_for(actor, world.people)
            path = url_of(target, kwargs)
            method = (target.method or rule.method).lower()
            if method == "get":
                response = client.get(path)
            elif target.method is not None:
                response = getattr(client, method)(path, body, content_type="application/json")
            else:
                response = getattr(client, method)(path, body)
            # then it is refused: a 4xx, or (Django's reset page) the "invalid link" answer
            status = response.status_code
            assert status < 500, f"{target.name}: server error {status}"
            refused = 400 <= status < 500 or (
                response.context is not None and response.context.get("validlink") is False
            )
            if not refused:
                wrong.append(f"{target.name} ({path}) as {actor}: {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.commitment("C4.5")
def test_a_missing_or_tampered_cart_cookie_is_refused_to_everyone():
    # given every endpoint whose credential is the cart cookie
    world = w.build_world()
    token = world.cart_token
    tampered = token[:-4] + ("BBBB" if token.endswith("AAAA") else "AAAA")
    held = [t for t in targets() if (rule := rule_for(t.name)) is not None and rule.who == HELD]
    assert held
    wrong = []
    for target in held:
        rule = rule_for(target.name)
        assert rule is not None
        path = url_of(target, build_kwargs(target, world))
        for cookie in (None, tampered):
            for actor in ("anonymous", "other_customer"):
                client = w.client_for(actor, world.people)
                if cookie is not None:
                    client.cookies[CART_COOKIE] = cookie
                response = getattr(client, rule.method)(path, {})
                # then it is refused, and never with a server error
                if not 400 <= response.status_code < 500:
                    wrong.append(
                        f"{target.name} ({path}) as {actor}, cookie {cookie!r}: "
                        f"{response.status_code}"
                    )
    assert not wrong, "\n".join(wrong)
