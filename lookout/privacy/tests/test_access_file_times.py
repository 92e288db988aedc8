"""Times in the access file are read from the database as ISO 8601 text (C6.2): the text must
be exactly what Django's datetimes give with `isoformat()`, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from lookout.policies.models import Document, PolicyVersion
from lookout.privacy.sections.builtin import _IsoTime

pytestmark = pytest.mark.django_db

TIMES = [
    datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),  # whole seconds: no fraction in isoformat()
    datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC),  # leading zeros of the fraction kept
    datetime(2026, 3, 1, 12, 0, 0, 120000, tzinfo=UTC),  # trailing zeros kept
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 7, 1, 1, 30, 0, 500, tzinfo=timezone(timedelta(hours=2))),  # not UTC
    datetime(1999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),  # a year of one digit is still four
]


def _versions() -> None:
    for number, when in enumerate(TIMES, start=900):
        PolicyVersion.objects.create(
            document=Document.PRIVACY,
            number=number,
            text="-",
            posted_at=when,
            effective_at=when,
            notices_completed_at=None,
        )


@pytest.mark.commitment("C6.2")
def test_times_read_as_text_match_isoformat_of_the_datetimes_django_reads():
    _versions()
    rows = PolicyVersion.objects.filter(number__gte=900).order_by("number")

    as_datetimes = list(rows.values_list("posted_at", "notices_completed_at"))
    as_text = list(rows.values_list(_IsoTime("posted_at"), _IsoTime("notices_completed_at")))

    assert as_text == [(d.isoformat(), None) for d, n in as_datetimes]
    assert [t for t, _ in as_text] == [w.astimezone(UTC).isoformat() for w in TIMES]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="shapes SQLite may hold")
def test_a_time_stored_in_another_shape_is_handed_out_as_stored_not_garbled():
    # given a time written outside Django, in a shape Django does not write
    _versions()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE policies_policyversion SET posted_at = %s, effective_at = %s "
            "WHERE number = 900",
            ["2026-03-01T12:00:00+02:00"] * 2,
        )
    # then it comes out as it is stored, not with a second offset glued on
    text = PolicyVersion.objects.filter(number=900).values_list(_IsoTime("posted_at"), flat=True)
    assert list(text) == ["2026-03-01T12:00:00+02:00"]
