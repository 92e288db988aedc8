"""A customer who restricted processing (Art. 18, C6.9) is withheld from the after-sales queue,
row by row: the gate refuses their contact (audited), the other rows are read as before."""

from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.orders.testing import GUEST_EMAIL, RECIPIENT
from lookout.privacy.models import RestrictionGround, Via
from lookout.privacy.restriction import open_restriction
from lookout.returns import services
from lookout.returns.testing import delivered_order, request_all
from lookout.staff.views import RESTRICTED_ROW
from lookout.testing.staff import client_past_second_factor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("partners", "policies", "dispute_vendor"),
]


def _as(role: str):  # type: ignore[no-untyped-def]
    user = create_account(email=f"{role}@example.com", password="staff-long-pass-1", role=role)
    client = client_past_second_factor(user)
    return user, client


@pytest.mark.commitment("C6.9")
def test_the_after_sales_queue_withholds_a_restricted_customer_and_shows_the_others() -> None:
    clerk, _ = _as(Role.WAREHOUSE)
    restricted = request_all(delivered_order(clerk), note="Restricted person's note")
    services.receive_return(ret=restricted, actor=clerk)
    other = request_all(delivered_order(clerk), note="The mount is cracked")
    services.receive_return(ret=other, actor=clerk)
    open_restriction(
        subject=restricted.order.subject,
        ground=RestrictionGround.OBJECTION,
        via=Via.GUEST,
        actor=None,
    )

    agent, client = _as(Role.AFTER_SALES)
    response = client.get("/staff/after-sales/")
    assert response.status_code == 200
    page = response.content.decode()
    assert RESTRICTED_ROW in page and "Restricted person's note" not in page
    assert RECIPIENT in page and GUEST_EMAIL in page and "The mount is cracked" in page
    refused = AuditEntry.objects.get(
        actor_ref=str(agent.subject), subject_ref=str(restricted.order.subject)
    )
    assert refused.outcome == "refused" and refused.detail["restricted"] is True
