"""The self-audit fails when a periodic job missed its interval (issue 27, finding 6): retention
(C4.6), the roll-ups and the self-audit itself must be seen to run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from lookout.compliance.selfaudit.job_checks import periodic_jobs
from lookout.core.scheduler import periodic_jobs as scheduled_jobs
from lookout.core.scheduler import tick

DAY = datetime(2026, 6, 1, tzinfo=UTC)
DAILY = ("retention.daily", "analytics.daily", "compliance.self_audit")

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C4.6")
def test_a_periodic_job_that_missed_its_slot_fails_the_self_audit():
    # given a scheduler saw every periodic job the day before, then stopped
    tick(now=DAY - timedelta(days=1), periodic=scheduled_jobs())
    # when the self-audit looks before any slot came, every job is on time
    with freeze_time(DAY - timedelta(days=1, minutes=-1)):
        assert periodic_jobs().ok
    # and when it looks the next afternoon, every daily job missed its slot
    with freeze_time(DAY.replace(hour=15)):
        result = periodic_jobs()
    assert not result.ok
    jobs = result.evidence["jobs"]
    assert all(jobs[name]["overdue"] for name in DAILY)
    assert "retention.daily" in result.summary
