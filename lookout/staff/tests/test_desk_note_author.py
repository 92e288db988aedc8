"""The order desk names a note's author by their display name, when the administrator gave
them one (issue 22, item 2); otherwise by role, as before."""

from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.orders.testing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def test_a_note_is_signed_with_the_authors_display_name(staff) -> None:
    agent, client = staff(Role.AFTER_SALES)
    _, other = staff(Role.AFTER_SALES)
    agent.display_name = "Sam Rivera"
    agent.save(update_fields=["display_name"])
    order = place()
    url = f"/staff/desk/orders/{order.number}/notes/"
    assert client.post(url, {"note": "Called the carrier."}).status_code == 302
    assert other.post(url, {"note": "Carrier confirmed."}).status_code == 302

    page = other.get(f"/staff/desk/orders/{order.number}/").content.decode()
    assert "Internal note by Sam Rivera (After-sales)" in page
    assert "Internal note (After-sales)" in page  # the colleague without a display name
