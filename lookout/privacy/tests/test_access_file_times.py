"""Times in the access file are read from the database as text (C6.2): the text must be exactly
what Django's datetimes give with `isoformat()`, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lookout.policies.models import Document, PolicyVersion
from lookout.privacy.sections.builtin import _iso_text, _UtcText

pytestmark = pytest.mark.django_db

TIMES = [
    datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),  # whole seconds: no fraction in isoformat()
    datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC),  # leading zeros of the fraction kept
    datetime(2026, 3, 1, 12, 0, 0, 120000, tzinfo=UTC),  # trailing zeros kept
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 7, 1, 1, 30, 0, 500, tzinfo=timezone(timedelta(hours=2))),  # not UTC
    datetime(1999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
]


def test_times_read_as_text_match_isoformat_of_the_datetimes_django_reads():
    for number, when in enumerate(TIMES, start=900):
        PolicyVersion.objects.create(
            document=Document.PRIVACY,
            number=number,
            text="-",
            posted_at=when,
            effective_at=when,
            notices_completed_at=None,
        )
    rows = PolicyVersion.objects.filter(number__gte=900).order_by("number")

    as_datetimes = list(rows.values_list("posted_at", "notices_completed_at"))
    as_text = list(rows.values_list(_UtcText("posted_at"), _UtcText("notices_completed_at")))

    assert [(_iso_text(t), _iso_text(n)) for t, n in as_text] == [
        (d.isoformat(), None) for d, n in as_datetimes
    ]
    assert [_iso_text(t) for t, _ in as_text] == [w.astimezone(UTC).isoformat() for w in TIMES]


def test_other_shapes_of_text_are_parsed_like_django_parses_them():
    assert _iso_text("2026-03-01 12:00:00.123") == "2026-03-01T12:00:00.123000+00:00"
    assert _iso_text("2026-03-01 12:00:00.000000") == "2026-03-01T12:00:00+00:00"
    assert _iso_text("2026-03-01 12:00:00.000007") == "2026-03-01T12:00:00.000007+00:00"
    assert _iso_text("2026-03-01T12:00:00+02:00") == "2026-03-01T12:00:00+02:00"
    assert _iso_text("2026-03-01 12:00:00") == "2026-03-01T12:00:00+00:00"
    assert _iso_text(None) is None
