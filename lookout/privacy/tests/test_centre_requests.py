"""The privacy centre lays out each request with its status and due date in words, and says
when an answer is late (issue 22, item 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.privacy.models import Kind, Status, SubjectRequest

pytestmark = pytest.mark.django_db


def test_requests_show_status_and_due_date_in_words(person) -> None:
    now = timezone.now()
    open_one = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.ACCESS,
        due_at=now + timedelta(days=10),
        verified_at=now,
    )
    late = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.DELETION,
        due_at=now - timedelta(days=1),
        verified_at=now,
    )
    done = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        due_at=now - timedelta(days=3),
        status=Status.COMPLETED,
        verified_at=now,
    )

    page = person.client.get("/privacy/").content.decode()
    table = page.split('<table class="requests data-table">', 1)[1].split("</table>", 1)[0]
    rows = {
        r.id: table.split(f'href="/privacy/requests/{r.id}/"', 1)[1].split("</tr>", 1)[0]
        for r in (open_one, late, done)
    }
    # dates in words, the machine date in the time element
    assert f'<time datetime="{open_one.due_at:%Y-%m-%d}">' in rows[open_one.id]
    assert f"{open_one.due_at:%B %Y}" in rows[open_one.id]
    assert "(in 1\xa0week" in rows[open_one.id] or "(in 9\xa0days" in rows[open_one.id]
    # a late open request says so; a completed one owes nothing
    assert "late: we owe you an answer" in rows[late.id]
    assert "late" not in rows[done.id] and "(in " not in rows[done.id]
    assert "Completed" in rows[done.id]
    # the request form's button is the site's button
    assert '<button class="button" type="submit">Send the request</button>' in page
