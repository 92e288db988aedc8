"""The publishing page gives its dates as a person reads them, the machine date kept in
`<time datetime>`, and a refusal names the earliest date in words (issue 22)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.policies.services import earliest_material_date, publish_version
from lookout.testing.pages import reads_as_machine

from .conftest import NEW_PRIVACY

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_the_publishing_page_gives_its_dates_in_words(admin_client: Callable[[], Client]) -> None:
    with freeze_time(NOW):
        publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="We keep less.",
            material=True,
            effective_on=date(2027, 4, 2),
        )
        earliest = earliest_material_date()
        page = admin_client().get("/policies/manage/").content.decode()

    assert (
        f'the earliest date today is <time datetime="{earliest:%Y-%m-%d}">'
        f"{earliest.day} {earliest:%B %Y}</time>" in page
    )
    assert '<time datetime="2027-03-01T10:00:00+00:00">1 March 2027, 10:00 UTC</time>' in page
    assert '<time datetime="2027-04-02T00:00:00+00:00">2 April 2027, 00:00 UTC</time>' in page
    assert reads_as_machine(page) == [], reads_as_machine(page)


def test_a_refused_material_change_names_the_earliest_date_in_words(
    admin_client: Callable[[], Client],
) -> None:
    with freeze_time(NOW):
        response = admin_client().post(
            "/policies/manage/",
            {
                "document": "privacy",
                "text": NEW_PRIVACY,
                "summary": "Less.",
                "material": "on",
                "effective_on": "2027-03-15",
            },
        )
    assert response.status_code == 400
    assert "15 March 2027 is too soon: choose 1 April 2027 or later" in response.text
    assert reads_as_machine(response.text) == [], reads_as_machine(response.text)
