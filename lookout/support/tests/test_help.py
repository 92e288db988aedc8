"""The help and contact page (issue 23, item 1): the store's operating entity, as the operator
set it, reachable from every page's footer and from each order page."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from lookout.orders.guest import guest_token
from lookout.orders.testing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


@pytest.mark.commitment("C1.9")
@override_settings(
    LOOKOUT_OPERATOR_NAME="Lookout Trading GmbH",
    LOOKOUT_OPERATOR_ADDRESS="Hauptstrasse 1\n10115 Berlin\nGermany",
    LOOKOUT_OPERATOR_CONTACT="Write to us through this page",
    LOOKOUT_SUPPORT_REPLY_DAYS=2,
)
def test_help_page_names_the_operator_from_settings() -> None:
    page = Client().get("/help/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lookout Trading GmbH" in text
    assert "10115 Berlin<br>Germany" in text
    assert "Write to us through this page" in text
    assert "within 2 business days" in text


def test_every_page_links_to_help_in_its_footer() -> None:
    client = Client()
    for path in ("/", "/policies/privacy/", "/cart/"):
        page = client.get(path, follow=True)
        footer = page.content.decode().split('class="site-footer"')[1]
        assert 'href="/help/"' in footer, path


def test_order_pages_link_to_asking_about_the_order(customer) -> None:
    user, client = customer()
    order = place(user=user)
    page = client.get(f"/orders/{order.number}/")
    assert f'href="/help/conversations/new/?order={order.number}"' in page.content.decode()

    guest_order = place()
    token = guest_token(order=guest_order)
    page = Client().post(f"/orders/guest/{token}/", {"number": guest_order.number})
    assert f'href="/help/guest/{token}/"' in page.content.decode()
