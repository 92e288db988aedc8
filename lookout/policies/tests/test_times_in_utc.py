"""A policy's dates are shown in UTC, the time they are defined in (C8.3, C8.4).

A version takes effect at the start of a UTC day and the publishing page labels its times
"UTC", so a store set to another time zone must still show those moments in UTC: otherwise a
change taking effect on 1 April would read "31 March, 20:00 UTC" in New York.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.policies.services import publish_version

from .conftest import NEW_PRIVACY

pytestmark = pytest.mark.django_db

POSTED = datetime(2027, 3, 2, 2, 30, tzinfo=UTC)  # 1 March, 21:30 in New York


@pytest.mark.commitment("C8.3")
def test_the_publishing_page_shows_posted_and_effective_times_in_utc(
    settings, admin_client: Callable[[], Client]
) -> None:
    settings.TIME_ZONE = "America/New_York"
    with freeze_time(POSTED):
        version = publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="Addresses are cut shorter.",
            material=True,
            effective_on=date(2027, 4, 2),
        )
        page = admin_client().get("/policies/manage/").content.decode()
    assert "2 March 2027, 02:30 UTC" in page
    assert "2 April 2027, 00:00 UTC" in page
    assert "1 March 2027, 21:30" not in page

    # and the public page names the UTC day the version takes effect
    public = Client().get(f"/policies/privacy/v{version.number}/").content.decode()
    assert "takes effect on 2 April 2027" in public
    assert "posted 2 March 2027" in public
