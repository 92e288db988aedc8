"""The order desk's search: by order number for the roles that handle orders, and by a
customer's exact email through the blind index for the roles the matrix lets read it, each
email search audited with its purpose (issue 20; C3.1, C4.3, C4.4)."""

from __future__ import annotations

import json

import pytest

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.orders.testing import GUEST_EMAIL, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]
CUSTOMER_EMAIL = "kept.customer@example.com"


@pytest.mark.commitment("C4.3")
@pytest.mark.parametrize(
    "role", [Role.AFTER_SALES, Role.WAREHOUSE, Role.FINANCE, Role.PRIVACY_OFFICER]
)
def test_the_roles_that_handle_orders_open_one_by_its_number(staff, role) -> None:
    order = place()
    _, client = staff(role)
    # typed in lower case with spaces around it
    answer = client.get("/staff/desk/", {"number": f"  {order.number.lower()} "})
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/desk/orders/{order.number}/"
    page = client.get(answer["Location"])
    assert page.status_code == 200 and order.number in page.content.decode()


@pytest.mark.commitment("C4.3")
def test_a_wrong_or_missing_number_gets_a_clear_4xx(staff) -> None:
    place()
    _, client = staff(Role.AFTER_SALES)
    missing = client.get("/staff/desk/", {"number": "LK-ZZZZ2222"})
    assert missing.status_code == 404
    assert "There is no order numbered LK-ZZZZ2222." in missing.content.decode()
    malformed = client.get("/staff/desk/", {"number": "'; drop table"})
    assert malformed.status_code == 400
    assert "LK- followed by 8 letters and digits" in malformed.content.decode()
    empty = client.get("/staff/desk/", {"number": ""})
    assert empty.status_code == 400
    assert client.get("/staff/desk/orders/LK-ZZZZ2222/").status_code == 404


@pytest.mark.commitment("C4.3")
@pytest.mark.parametrize("role", [Role.CATALOG_MANAGER, Role.ADMINISTRATOR])
def test_roles_without_the_desk_are_refused_before_any_order_is_looked_up(staff, role) -> None:
    order = place()
    _, client = staff(role)
    for answer in (
        client.get("/staff/desk/"),
        client.get("/staff/desk/", {"number": order.number}),
        client.get(f"/staff/desk/orders/{order.number}/"),
        client.get("/staff/desk/orders/LK-ZZZZ2222/"),
    ):
        # the same 403 whether the order exists or not: nothing learnt about order numbers
        assert answer.status_code == 403
        assert "your role does not use it" in answer.content.decode()
        assert "There is no order" not in answer.content.decode()


@pytest.mark.commitment("C4.3")
def test_customers_and_visitors_do_not_find_the_desk(client) -> None:
    order = place()
    assert client.get("/staff/desk/").status_code == 302  # sign in first
    customer = create_account(email=CUSTOMER_EMAIL, password="a-long-passphrase-1")
    client.force_login(customer)
    assert client.get("/staff/desk/").status_code == 404
    assert client.get(f"/staff/desk/orders/{order.number}/").status_code == 404


def _searches(actor) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor_ref=str(actor.subject), action="desk.email_search"))


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
def test_after_sales_finds_a_guests_orders_by_exact_email_and_the_search_is_audited(
    staff,
) -> None:
    # given two guest orders with the email and one with another
    first, second = place(), place()
    other = place(email="someone.else@example.com")
    agent, client = staff(Role.AFTER_SALES)
    # when after-sales searches, in another case and with spaces, for after-sales
    answer = client.post(
        "/staff/desk/search/email/",
        {"email": f" {GUEST_EMAIL.upper()} ", "purpose": "after_sales"},
    )
    # then both orders are listed, and not the other one
    assert answer.status_code == 200
    page = answer.content.decode()
    assert first.number in page and second.number in page and other.number not in page
    assert "no-store" in answer["Cache-Control"]
    # and each guest (a guest is a new person at each order) has an audit entry naming them,
    # the purpose and their order, never the email
    entries = _searches(agent)
    assert {(e.subject_ref, tuple(e.targets or ())) for e in entries} == {
        (str(first.subject), (str(first.pk),)),
        (str(second.subject), (str(second.pk),)),
    }
    for entry in entries:
        assert entry.purpose == "after_sales" and entry.detail["found"] == 1
        assert GUEST_EMAIL not in json.dumps([entry.fields, entry.detail, entry.target])


@pytest.mark.commitment("C3.1", "C4.4")
def test_an_account_holders_orders_are_found_by_the_accounts_email(staff) -> None:
    customer = create_account(email=CUSTOMER_EMAIL, password="a-long-passphrase-1")
    mine = place(user=customer)
    place()  # a guest's
    officer, client = staff(Role.PRIVACY_OFFICER)
    answer = client.post("/staff/desk/search/email/", {"email": CUSTOMER_EMAIL, "purpose": "legal"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert mine.number in page and page.count('data-number="LK-') == 1
    (entry,) = _searches(officer)
    assert (entry.purpose, entry.subject_ref) == ("legal", str(customer.subject))


@pytest.mark.commitment("C4.4")
def test_a_search_that_finds_nothing_is_audited_too(staff) -> None:
    place()
    agent, client = staff(Role.AFTER_SALES)
    answer = client.post("/staff/desk/search/email/", {"email": "nobody.here@example.com"})
    assert answer.status_code == 200
    assert "No orders for that email address." in answer.content.decode()
    (entry,) = _searches(agent)
    assert entry.detail["found"] == 0 and entry.subject_ref == ""
    assert entry.purpose == "after_sales"


@pytest.mark.commitment("C3.1", "C4.3")
@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.FINANCE])
def test_roles_not_granted_a_customers_email_cannot_search_by_it(staff, role) -> None:
    order = place()
    user, client = staff(role)
    answer = client.post("/staff/desk/search/email/", {"email": GUEST_EMAIL})
    assert answer.status_code == 403
    assert order.number not in answer.content.decode()
    assert _searches(user) == []
    # and their desk has no email search form
    assert 'id="email-search"' not in client.get("/staff/desk/").content.decode()


@pytest.mark.commitment("C3.1", "C4.4")
def test_bad_input_and_purposes_outside_the_roles_grant_are_refused_unaudited(staff) -> None:
    order = place()
    agent, client = staff(Role.AFTER_SALES)
    for form, says in (
        ({"email": "not-an-email"}, "whole email address"),
        ({"email": "a" * 250 + "@example.com"}, "at most 254 characters"),
        ({"email": GUEST_EMAIL, "purpose": "marketing"}, "Choose why you are searching"),
        ({"email": GUEST_EMAIL, "purpose": "legal"}, "Choose why you are searching"),
    ):
        answer = client.post("/staff/desk/search/email/", form)
        assert answer.status_code == 400, form
        assert says in answer.content.decode()
        assert order.number not in answer.content.decode()
    assert _searches(agent) == []
    # and a search by GET (the email would land in access logs) is not accepted
    assert client.get("/staff/desk/search/email/", {"email": GUEST_EMAIL}).status_code == 405


@pytest.mark.parametrize("role", ["after_sales", "warehouse", "finance", "privacy_officer"])
def test_the_back_office_links_the_desk_for_the_roles_that_may_open_it(staff, role) -> None:
    _, client = staff(role)
    page = client.get("/staff/", follow=True)  # their role's queue
    assert page.status_code == 200
    assert 'href="/staff/desk/"' in page.content.decode()
    assert client.get("/staff/desk/").status_code == 200


@pytest.mark.parametrize("role", ["administrator", "catalog_manager"])
def test_the_back_office_offers_no_desk_link_to_roles_it_refuses(staff, role) -> None:
    _, client = staff(role)
    page = client.get("/staff/", follow=True)
    assert 'href="/staff/desk/"' not in page.content.decode()
