"""`lookout scheduler` survives a PostgreSQL restart (issue 27, finding 6: it died on a 3-second
restart and retention, roll-ups and the self-audit never ran again).

The restart is real: the scheduler runs against a private cluster (tests/ops/pgcluster.py) which
the test stops, under it, and starts again."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from lookout.testing.ops_fast import scheduler_site_code
from tests.ops.conftest import clean_env, lookout_cli, read_until, start_lookout
from tests.ops.pgcluster import PgCluster, pg_cluster_fixture  # noqa: F401

# Its own PostgreSQL cluster, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

DUE_NOW = (
    "UPDATE retention_scheduledjob SET next_run_at = now() - interval '1 minute' WHERE name = %s"
)


def _wait_for_jobs(cluster: PgCluster, process: subprocess.Popen[str], lines: list[str]) -> None:
    """Until the scheduler's first pass has put the periodic jobs on their schedule."""
    read_until(process, "Scheduler started", lines)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        # (the two jobs the test makes due; the first pass schedules every job in name order)
        used = "SELECT count(*) FROM retention_scheduledjob WHERE name IN (%s, %s)"
        if cluster.execute(used, ("retention.daily", "analytics.daily"))[0][0] == 2:
            return
        time.sleep(0.05)
    pytest.fail("the scheduler never scheduled the jobs:\n" + "".join(lines))


def test_the_scheduler_outlives_a_postgresql_restart_and_enqueues_the_next_due_job(
    pg_cluster: PgCluster, tmp_path
):
    # given a site on its own PostgreSQL, and its scheduler running (the site's scheduler
    # tables migrated, the only ones it uses: lookout.testing.ops_fast; a whole `migrate` of
    # the site cost about 10 s more)
    env = clean_env(
        tmp_path,
        LOOKOUT_ENV="development",
        LOOKOUT_MASTER_KEY_FILE=str(tmp_path / "k.json"),
        DATABASE_URL=pg_cluster.url(),
    )
    done = lookout_cli("shell", "-c", scheduler_site_code(), env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    process = start_lookout(env, "scheduler", "--max-sleep", "1")
    lines: list[str] = []
    try:
        _wait_for_jobs(pg_cluster, process, lines)
        pg_cluster.execute(DUE_NOW, ("retention.daily",))
        read_until(process, "Enqueued retention.daily", lines)
        # (with the database up, no pass failed: the site has every table the scheduler uses)
        assert not any("Scheduler pass failed" in line for line in lines), "".join(lines)

        # when PostgreSQL is stopped under it (every session ended), and started again
        pg_cluster.stop()
        read_until(process, "Scheduler pass failed", lines)
        pg_cluster.start()

        # then the scheduler is still running, and enqueues the next job that falls due
        pg_cluster.execute(DUE_NOW, ("analytics.daily",))
        read_until(process, "Enqueued analytics.daily", lines)
        assert process.poll() is None, "".join(lines)
        queued = pg_cluster.execute(
            "SELECT task_path FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
        )
        # (jobs that run every minute, such as orders.settle_waiting, may be queued too)
        made_due = {
            "lookout.retention.tasks.run_retention",
            "lookout.analytics.tasks.daily_analytics",
        }
        assert [row[0] for row in queued if row[0] in made_due] == [
            "lookout.retention.tasks.run_retention",
            "lookout.analytics.tasks.daily_analytics",
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    # and it still stops cleanly
    assert process.returncode == 0, "".join(lines) + output
    assert "Scheduler stopped." in output
