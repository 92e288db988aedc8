"""/healthz shows each periodic job's last runs and whether it is overdue (issue 27, finding 6:
a dead scheduler went unnoticed), without turning the answer into a 503 (decision 0030)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from prometheus_client.parser import text_string_to_metric_families

from lookout.core.scheduler import Periodic, tick
from lookout.retention.models import ScheduledJob

RETENTION = (Periodic("retention.daily", "17 3 * * *", "lookout.retention.tasks.run_retention"),)
DAY = datetime(2026, 6, 1, tzinfo=UTC)
SLOT = DAY.replace(hour=3, minute=17)

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _jobs(client, at: datetime) -> tuple[int, dict]:
    with freeze_time(at):
        response = client.get("/healthz")
    return response.status_code, response.json()


def test_a_job_no_scheduler_enqueued_shows_overdue_and_the_check_still_answers_200(client):
    # given the scheduler saw the retention job at 02:00, then stopped
    tick(now=DAY.replace(hour=2), periodic=RETENTION)
    # when the load balancer polls just after the slot, all is well
    status, body = _jobs(client, SLOT + timedelta(minutes=1))
    assert status == 200 and body["jobs_overdue"] == []
    assert body["jobs"]["retention.daily"]["next_run_at"] == SLOT.isoformat()
    # and when nothing enqueued the job ten minutes after its slot, it is overdue
    status, body = _jobs(client, SLOT + timedelta(minutes=11))
    assert status == 200 and body["status"] == "ok"
    assert body["jobs_overdue"] == ["retention.daily"]
    assert "scheduler" in body["jobs"]["retention.daily"]["why"]


@pytest.mark.usefixtures("immediate_tasks")
def test_a_job_that_ran_shows_its_last_runs_and_one_that_stopped_succeeding_is_overdue(client):
    # given the scheduler enqueued the slot's run and it succeeded (the immediate backend)
    tick(now=DAY.replace(hour=2), periodic=RETENTION)
    tick(now=SLOT + timedelta(minutes=1), periodic=RETENTION)
    job = ScheduledJob.objects.get()
    assert job.last_succeeded_at is not None
    # when polled the next morning, before the next slot: its runs are shown, nothing overdue
    status, body = _jobs(client, SLOT + timedelta(hours=20))
    row = body["jobs"]["retention.daily"]
    assert row["last_enqueued_at"] == (SLOT + timedelta(minutes=1)).isoformat()
    assert row["last_status"] == "SUCCESSFUL" and row["overdue"] is False
    # when the next slot's run was enqueued but never succeeded (lost), past the grace
    ScheduledJob.objects.update(
        last_succeeded_at=SLOT + timedelta(minutes=2),
        last_enqueued_at=SLOT + timedelta(days=1, minutes=1),
        last_status="LOST",
        next_run_at=SLOT + timedelta(days=2),
    )
    status, body = _jobs(client, SLOT + timedelta(days=1, hours=3))
    # then it is overdue, in the body and in the Prometheus figures, and the check is still 200
    assert status == 200 and body["jobs_overdue"] == ["retention.daily"]
    assert "no successful run since" in body["jobs"]["retention.daily"]["why"]
    with freeze_time(SLOT + timedelta(days=1, hours=3)):
        text = client.get("/healthz", {"format": "prometheus"}).content.decode()
    series = {
        (sample.name, tuple(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    labels = (("job", "retention.daily"),)
    assert series["lookout_job_overdue", labels] == 1
    success = (SLOT + timedelta(minutes=2)).timestamp()
    assert series["lookout_job_last_success_timestamp_seconds", labels] == success


def test_a_job_that_runs_every_minute_is_overdue_once_ten_minutes_pass_without_a_success():
    from lookout.core.scheduler import job_states

    every_minute = (Periodic("orders.every_minute", "* * * * *", RETENTION[0].task),)
    start = SLOT.replace(second=30)
    tick(now=start, periodic=every_minute)  # first sight: scheduled, nothing run
    # given its runs are enqueued each minute (a scheduler is running) but none succeeds after
    # the one at `start`
    ScheduledJob.objects.filter(name="orders.every_minute").update(last_succeeded_at=start)

    def overdue(minutes: int) -> bool:
        moment = start + timedelta(minutes=minutes)
        ScheduledJob.objects.update(next_run_at=moment.replace(second=0) + timedelta(minutes=1))
        return job_states(now=moment, periodic=every_minute)[0].overdue

    # then a few failed minutes are tolerated, ten are not (two hours would be far too late)
    assert not overdue(5)
    assert overdue(12)
