"""The customer's return page tells each step of the return in words, with its time as a person
reads it (issue 22): never a status code such as "label_issued"."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lookout.accounts.services import create_account
from lookout.returns.models import ReturnRequest, ReturnStatus
from lookout.returns.testing import delivered_order, request_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def test_each_step_of_the_timeline_is_in_words(staff) -> None:
    clerk, _ = staff("warehouse")
    buyer = create_account(email="buyer@example.com", password="a-long-passphrase-1")
    request_all(delivered_order(clerk, user=buyer))
    ret = ReturnRequest.objects.get()
    steps = list(ret.events.order_by("at", "pk"))
    assert [e.to_status for e in steps] == [ReturnStatus.REQUESTED, ReturnStatus.LABEL_ISSUED]
    client = Client()
    client.force_login(buyer)

    page = client.get(f"/returns/{ret.number}/").content.decode()
    timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", timeline)
    assert [item.rsplit(" — ", 1)[1] for item in items] == ["Requested", "Return label issued"]
    at = steps[0].at
    assert items[0].startswith(
        f'<time datetime="{at.isoformat()}">{at.day} {at:%B %Y, %H:%M} UTC</time>'
    )
    assert "label_issued" not in timeline
