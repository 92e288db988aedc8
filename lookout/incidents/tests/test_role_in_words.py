"""The incident page names a role in words, not by its code (issue 22, item 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.access.roles import Role
from lookout.incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_a_role_incident_names_the_role_in_words(staff) -> None:
    _, client = staff(Role.PRIVACY_OFFICER)
    now = timezone.now()
    response = client.post(
        "/staff/incidents/new/",
        {
            "kind": "role",
            "role": Role.AFTER_SALES,
            "started_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "measures": "Role's sessions ended.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Incident.objects.get().role == Role.AFTER_SALES
    page = client.get(response["Location"]).content.decode()
    summary = page.split("</h1>", 1)[1].split("</p>", 1)[0]
    assert ": After-sales," in summary and "after_sales" not in summary
