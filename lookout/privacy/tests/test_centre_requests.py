"""The privacy centre lays out each request with its status and due date in words, and says
when an answer is late (issue 22, item 1); a request's own page and the restriction notice give
their dates as a person reads them too, and each label of the centre names its own field."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from lookout.privacy.models import (
    ExtensionReason,
    Kind,
    RestrictionGround,
    Status,
    SubjectRequest,
)
from lookout.privacy.tests.conftest import PASSWORD

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


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _words(html: str) -> str:
    """What a reader sees of some markup: its text, without the tags and their attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def _in_words(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def test_a_request_page_gives_its_dates_as_a_person_reads_them(person) -> None:
    now = timezone.now()
    req = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        due_at=now + timedelta(days=30),
        due_before_extension=now + timedelta(days=5),
        extended_at=now,
        extension_reason=ExtensionReason.COMPLEX,
        decided_at=now,
        verified_at=now,
    )

    page = person.client.get(f"/privacy/requests/{req.id}/").content.decode()
    status = page.split('<dl class="request-status', 1)[1].split("<h2>Why we need", 1)[0]
    assert f'<time datetime="{req.due_at:%Y-%m-%d}">{_in_words(req.due_at)}</time>' in status
    assert f'(extended from <time datetime="{req.due_before_extension:%Y-%m-%d}">' in status
    assert f"{_in_words(req.created_at)}, {req.created_at:%H:%M} UTC" in status
    assert f"{_in_words(now)}, {now:%H:%M} UTC" in status  # decided
    reason = page.split('<p class="extension-reason">', 1)[1].split("</p>", 1)[0]
    assert f'We told you on <time datetime="{now:%Y-%m-%d}">{_in_words(now)}</time>' in reason
    assert not ISO_DATE.search(_words(status + reason)), _words(status + reason)


def test_the_restriction_notice_gives_its_date_as_a_person_reads_it(person) -> None:
    response = person.client.post(
        "/privacy/restriction/", {"ground": RestrictionGround.ACCURACY, "password": PASSWORD}
    )
    assert response.status_code == 200
    page = person.client.get("/privacy/").content.decode()
    notice = page.split('<p class="restriction-status">', 1)[1].split("</p>", 1)[0]
    today = timezone.now()
    assert f'Restricted since <time datetime="{today:%Y-%m-%d}">{_in_words(today)}</time>' in notice
    assert not ISO_DATE.search(_words(notice))


class _Labels(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.label_for.append(str(found["for"]))


def test_each_label_on_the_privacy_centre_names_its_own_field(person) -> None:
    """Three forms of the centre ask for the password: each label must lead to its own field
    (with one id shared, the second and third labels named the first form's field)."""
    page = _Labels()
    page.feed(person.client.get("/privacy/").content.decode())
    assert sorted({i for i in page.ids if page.ids.count(i) > 1}) == []
    assert set(page.label_for) <= set(page.ids)
    assert len(page.label_for) == len(set(page.label_for))
