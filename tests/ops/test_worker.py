"""`lookout worker` runs the configured queue's worker (and, asked to, the scheduler) on a machine
that serves no pages: a task enqueued before it started is done, and it stops cleanly on SIGTERM,
children included."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from lookout.testing.ops_fast import task_row
from tests.ops.conftest import lookout_cli, read_until, start_lookout

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

ENQUEUE = """
from lookout.analytics.tasks import daily_analytics
print(daily_analytics.enqueue().id)
"""


def _status(var_dir: Path, result_id: str) -> str:
    # read from the site's database file: a `lookout shell` per look cost about 2 s of CPU
    return task_row(var_dir, result_id)[0]


def test_the_worker_does_a_waiting_task_and_stops_cleanly(served_env):
    var_dir = Path(served_env["LOOKOUT_VAR_DIR"])
    # given a task waiting in the database queue, and nothing working it
    done = lookout_cli("shell", "-c", ENQUEUE, env=served_env)
    assert done.returncode == 0, done.stderr
    result_id = done.stdout.strip().splitlines()[-1]  # after the shell's "N objects imported"
    assert _status(var_dir, result_id) == "READY"
    # when `lookout worker --with-scheduler` runs
    process = start_lookout(served_env, "worker", "--with-scheduler")
    lines: list[str] = []
    try:
        read_until(process, "background task worker is running (database queue)", lines)
        # then the task is done
        status = _status(var_dir, result_id)
        deadline = time.monotonic() + 60
        while status != "SUCCESSFUL" and time.monotonic() < deadline:
            time.sleep(0.05)
            status = _status(var_dir, result_id)
        assert status == "SUCCESSFUL", "".join(lines)
    finally:
        # and told to stop, it stops its children and exits cleanly
        process.send_signal(signal.SIGTERM)  # SIGINT: the same forwarding (test_serve.py)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(lines) + output
    assert "Worker stopped." in output
