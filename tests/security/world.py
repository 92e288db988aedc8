"""The people and objects the access-control and abuse tests act on: one of everything a URL
can name (a delivered order with a return and a refund, a subject request with its access file,
a saved address, an inbox message, a promotion, links sent to guests), built through the
apps' own services and test builders, never by writing rows directly.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.testing.staff import client_past_second_factor

PASSWORD = "a-long-passphrase-1"
CUSTOMERS = ("customer", "other_customer")
ROLES = tuple(role.value for role in Role)


ACTORS = ("anonymous", *CUSTOMERS, *ROLES)


def make_people() -> dict[str, User]:
    people = {
        name: create_account(email=f"{name}.{secrets.token_hex(3)}@example.com", password=PASSWORD)
        for name in CUSTOMERS
    }
    for role in ROLES:
        people[role] = create_account(
            email=f"{role}.{secrets.token_hex(3)}@example.com", password=PASSWORD, role=role
        )
    return people


# What signing in put in a session, per user and second factor: the next browser of the same
# person gets a session of its own with the same contents, instead of a sign-in each time (a
# sign-in saves the user, sealing their personal fields again: most of the access-control walk's
# time went there). Keyed by the session hash too, so a user of another test never matches.
_SIGNED_IN: dict[tuple[object, str, bool], dict[str, Any]] = {}


def client_for(actor: str, people: dict[str, User], *, second_factor: bool = True) -> Client:
    """A fresh browser for `actor`, with a session of its own (a request that changes or ends
    one browser's session leaves the next one untouched); staff have passed their second factor
    unless told not."""
    client = Client()
    if actor == "anonymous":
        return client
    user = people[actor]
    verified = bool(user.role and second_factor)
    key = (user.pk, user.get_session_auth_hash(), verified)
    contents = _SIGNED_IN.get(key)
    if contents is None:
        if verified:
            client = client_past_second_factor(user)
        else:
            client.force_login(user)
        _SIGNED_IN[key] = dict(client.session.items())
        return client
    session: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore()
    session.update(contents)
    session.save()  # a new session key, as a sign-in gives
    # the cookie as Django's test client sets it at sign-in (Client._login)
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    cookie["path"] = "/"
    cookie["domain"] = settings.SESSION_COOKIE_DOMAIN or ""
    cookie["secure"] = "true" if settings.SESSION_COOKIE_SECURE else ""
    return client


def delivered_order_of(people: dict[str, User], owner: str = "customer") -> Any:
    from lookout.returns.testing import delivered_order

    return delivered_order(people[Role.WAREHOUSE], user=people[owner])


def return_in_state(people: dict[str, User], state: str, owner: str = "customer") -> Any:
    """The owner's return of a delivered order, moved to `state` by the roles that do so."""
    from lookout.returns import services
    from lookout.returns.models import ReturnRequest
    from lookout.returns.testing import request_all

    ret = request_all(delivered_order_of(people, owner))
    if state == "requested":
        ReturnRequest.objects.filter(pk=ret.pk).update(status="requested")
    if state in ("received", "refund_pending"):
        services.receive_return(ret=ret, actor=people[Role.WAREHOUSE])
    if state == "refund_pending":
        services.accept_return(ret=ret, actor=people[Role.AFTER_SALES])
    ret.refresh_from_db()
    return ret


def paid_order(people: dict[str, User] | None = None, owner: str = "customer") -> Any:
    from lookout.returns.testing import paid_order as paid

    return paid(user=people[owner] if people else None)


def cart_with(product: Any) -> str:
    """A new cart holding one `product`; returns its token."""
    from lookout.cart.services import add_to_cart, open_cart

    cart, token = open_cart()
    add_to_cart(cart=cart, sku=product.sku, quantity=1)
    return token


def subject_request(user: User, *, kind: str = "access", build: bool = True) -> Any:
    """A request made by `user`; an access request gets its file built (as the task does)."""
    from lookout.privacy.access_file import build_access_file
    from lookout.privacy.services import request_as_user

    details = "My street name is misspelt: it is Amphitheatre." if kind == "correction" else ""
    made = request_as_user(user=user, password=PASSWORD, kind=kind, details=details)
    if kind == "access" and build:
        made = build_access_file(request_id=made.id)
    return made


def saved_address(user: User) -> Any:
    from lookout.checkout.services import save_address
    from lookout.orders.testing import US_ADDRESS

    return save_address(
        user=user, name="Ada Lovelace", address=dict(US_ADDRESS), country="US", phone=None
    )


@dataclass
class World:
    """One of every object a URL names, owned by `customer` unless said otherwise."""

    people: dict[str, User]
    product: Any
    category: Any
    cart_token: str
    order: Any  # the customer's delivered order, with a return on it
    guest_order: Any
    guest_token: str
    return_token: str  # the payment processor's way back to the guest order
    ret: Any
    access_request: Any
    download_token: str
    address: Any
    message: Any
    promotion: Any
    opt_out_token: str
    reset: tuple[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from lookout.accounts.services import record_marketing_choice
    from lookout.cart.services import add_to_cart, open_cart
    from lookout.inbox.services import send_message
    from lookout.marketing.services import create_promotion
    from lookout.marketing.tokens import opt_out_token
    from lookout.orders.guest import guest_token, return_token
    from lookout.privacy.access_file import download_token
    from lookout.returns.testing import request_all

    people = make_people()
    customer = people["customer"]
    record_marketing_choice(user=customer, opted_in=True, wording="Email me offers.", source="t")
    order = delivered_order_of(people)
    ret = request_all(order)
    guest = paid_order()
    cart, cart_token = open_cart()
    product = order.lines.first().product
    add_to_cart(cart=cart, sku=product.sku, quantity=1)
    access = subject_request(customer)
    message = send_message(
        subject=customer.subject, kind="order_update", title="Your order", body="On its way."
    )
    return World(
        people=people,
        product=product,
        category=product.category,
        cart_token=cart_token,
        order=order,
        guest_order=guest,
        guest_token=guest_token(order=guest),
        return_token=return_token(order=guest),
        ret=ret,
        access_request=access,
        download_token=download_token(request=access),
        address=saved_address(customer),
        message=message,
        promotion=create_promotion(
            title="Deal", body="Cheap cameras.", actor=people[Role.CATALOG_MANAGER]
        ),
        opt_out_token=opt_out_token(subject=customer.subject),
        reset=(
            urlsafe_base64_encode(force_bytes(customer.pk)),
            default_token_generator.make_token(customer),
        ),
    )


Builder = Callable[[World], dict[str, Any]]


def fresh(build: Callable[[World], Any]) -> Callable[[World], Any]:
    """Mark a kwargs builder as needing new objects for each actor (a POST that, when allowed,
    moves the object on: each actor must meet it in the same state)."""
    build.fresh = True  # type: ignore[attr-defined]
    return build


def uuid_of(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
