"""Every back-office page and action, run as anonymous, a customer, another customer and each
staff role (second factor passed): only the role it belongs to succeeds; everyone else is sent
to sign in (anonymous) or gets a 404, and nothing changes — not even the audit log (C4.3).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.payments.models import Payment
from lookout.returns import services
from lookout.returns.models import Dispute, Refund, ReturnRequest
from lookout.returns.testing import delivered_order, request_all
from lookout.sharing.models import Disclosure
from lookout.testing.staff import client_past_second_factor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("partners", "policies", "dispute_vendor"),
]

ACTORS = ["anonymous", "customer", "other_customer", *(r.value for r in Role)]


def _client(actor: str, people: dict[str, User]) -> Client:
    if actor == "anonymous":
        return Client()
    if people[actor].role:
        return client_past_second_factor(people[actor])
    client = Client()
    client.force_login(people[actor])
    return client


def _people() -> dict[str, User]:
    people = {
        name: create_account(
            email=f"{name}.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
        )
        for name in ("customer", "other_customer")
    }
    for role in Role:
        people[role.value] = create_account(
            email=f"{role.value}.{secrets.token_hex(3)}@example.com",
            password="staff-long-pass-1",
            role=role,
        )
    return people


def snapshot() -> dict[str, Any]:
    return {
        "returns": sorted(ReturnRequest.objects.values_list("number", "status")),
        "refunds": sorted(Refund.objects.values_list("id", "status")),
        "disputes": Dispute.objects.count(),
        "disclosures": Disclosure.objects.count(),
        "payments": sorted(Payment.objects.values_list("id", "refunded_amount")),
        "roles": sorted((str(u.pk), u.role) for u in User.objects.all()),
        "messages": Message.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@dataclass(frozen=True)
class Endpoint:
    role: Role
    method: str
    # Given the people, build what the endpoint acts on; (url, form data).
    setup: Callable[[dict[str, User]], tuple[str, dict[str, str]]]


def _delivered(people: dict[str, User]):
    return delivered_order(people[Role.WAREHOUSE], user=people["customer"])


def _in_state(people: dict[str, User], state: str) -> ReturnRequest:
    ret = request_all(_delivered(people))
    if state == "requested":
        ReturnRequest.objects.filter(pk=ret.pk).update(status="requested")
    if state in ("received", "refund_pending"):
        services.receive_return(ret=ret, actor=people[Role.WAREHOUSE])
    if state == "refund_pending":
        services.accept_return(ret=ret, actor=people[Role.AFTER_SALES])
    ret.refresh_from_db()
    return ret


def _page(path: str, role: Role, *, with_return: bool = False) -> Endpoint:
    def setup(people: dict[str, User]) -> tuple[str, dict[str, str]]:
        if with_return:
            _in_state(people, "label_issued")
        return path, {}

    return Endpoint(role, "get", setup)


def _action(role: Role, state: str, verb: str, **data: str) -> Endpoint:
    def setup(people: dict[str, User]) -> tuple[str, dict[str, str]]:
        ret = _in_state(people, state)
        if verb == "settle":
            return f"/staff/refunds/{ret.refund.id}/settle/", data
        return f"/staff/returns/{ret.id}/{verb}/", data

    return Endpoint(role, "post", setup)


def _dispute(people: dict[str, User]) -> tuple[str, dict[str, str]]:
    order = _delivered(people)
    return "/staff/disputes/", {"order": order.number, "reason": "not_as_described"}


def _role_change(people: dict[str, User]) -> tuple[str, dict[str, str]]:
    return f"/staff/administrator/staff/{people[Role.FINANCE].pk}/role/", {"role": "warehouse"}


ENDPOINTS: dict[str, Endpoint] = {
    "warehouse queue": _page("/staff/warehouse/", Role.WAREHOUSE, with_return=True),
    "after-sales queue": _page("/staff/after-sales/", Role.AFTER_SALES, with_return=True),
    "finance queue": _page("/staff/finance/", Role.FINANCE, with_return=True),
    "privacy officer": _page("/staff/privacy/", Role.PRIVACY_OFFICER),
    "audit log": _page("/staff/privacy/audit/", Role.PRIVACY_OFFICER, with_return=True),
    "catalog": _page("/staff/catalog/", Role.CATALOG_MANAGER),
    "administrator": _page("/staff/administrator/", Role.ADMINISTRATOR),
    "receive return": _action(Role.WAREHOUSE, "label_issued", "receive"),
    "issue label": _action(Role.AFTER_SALES, "requested", "label"),
    "accept return": _action(Role.AFTER_SALES, "received", "accept"),
    "reject return": _action(
        Role.AFTER_SALES, "received", "reject", reason="The items came back without a box."
    ),
    "open dispute": Endpoint(Role.AFTER_SALES, "post", _dispute),
    "settle refund": _action(Role.FINANCE, "refund_pending", "settle"),
    "create staff": Endpoint(
        Role.ADMINISTRATOR,
        "post",
        lambda people: (
            "/staff/administrator/staff/",
            {"email": "new.staff@example.com", "role": "finance"},
        ),
    ),
    "change role": Endpoint(Role.ADMINISTRATOR, "post", _role_change),
}


@pytest.mark.commitment("C4.3")
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_only_the_role_it_belongs_to_may_use_it(name: str) -> None:
    endpoint = ENDPOINTS[name]
    people = _people()
    url, data = endpoint.setup(people)
    allowed = endpoint.role.value
    for actor in [a for a in ACTORS if a != allowed]:
        # When someone else tries
        before = snapshot()
        response = getattr(_client(actor, people), endpoint.method)(url, data)
        # Then they are sent to sign in (anonymous) or told there is no such page
        if actor == "anonymous":
            assert response.status_code == 302, (actor, response.status_code)
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == 404, (actor, response.status_code)
        # And nothing changed, not even a line in the audit log
        assert snapshot() == before, actor
    # When the role it belongs to uses it, then it works
    before = snapshot()
    response = getattr(_client(allowed, people), endpoint.method)(url, data)
    if endpoint.method == "get":
        assert response.status_code == 200, response.content.decode()[:500]
    else:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"].startswith("/staff/")
        assert snapshot() != before


@pytest.mark.commitment("C4.3", "C4.7")
def test_staff_without_the_second_factor_reach_no_queue() -> None:
    people = _people()
    for role in Role:
        client = Client()
        client.force_login(people[role.value])
        response = client.get("/staff/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/otp/")


def test_the_back_office_home_sends_each_role_to_its_queue() -> None:
    people = _people()
    for role, path in [
        (Role.WAREHOUSE, "/staff/warehouse/"),
        (Role.AFTER_SALES, "/staff/after-sales/"),
        (Role.FINANCE, "/staff/finance/"),
        (Role.PRIVACY_OFFICER, "/staff/privacy/"),
        (Role.CATALOG_MANAGER, "/staff/catalog/"),
        (Role.ADMINISTRATOR, "/staff/administrator/"),
    ]:
        response = _client(role.value, people).get("/staff/")
        assert (response.status_code, response["Location"]) == (302, path)
    assert _client("customer", people).get("/staff/").status_code == 404
