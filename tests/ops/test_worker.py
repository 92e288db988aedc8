"""`lookout worker` runs the configured queue's worker (and, asked to, the scheduler) on a machine
that serves no pages: a task enqueued before it started is done, and it stops cleanly on SIGTERM,
children included."""

from __future__ import annotations

import signal
import time

import pytest

from tests.ops.conftest import lookout_cli, read_until, start_lookout

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent


def _shell(env: dict[str, str], code: str) -> str:
    done = lookout_cli("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]  # after the shell's own "N objects imported"


def _status(env: dict[str, str], result_id: str) -> str:
    return _shell(
        env,
        "from lookout.analytics.tasks import daily_analytics; "
        f"print(daily_analytics.get_result({result_id!r}).status)",
    )


def test_the_worker_does_a_waiting_task_and_stops_cleanly(served_env):
    # given a task waiting in the database queue, and nothing working it
    result_id = _shell(
        served_env,
        "from lookout.analytics.tasks import daily_analytics; print(daily_analytics.enqueue().id)",
    )
    assert _status(served_env, result_id) == "READY"
    # when `lookout worker --with-scheduler` runs
    process = start_lookout(served_env, "worker", "--with-scheduler")
    lines: list[str] = []
    try:
        read_until(process, "background task worker is running (database queue)", lines)
        # then the task is done
        status = _status(served_env, result_id)
        deadline = time.monotonic() + 60
        while status != "SUCCESSFUL" and time.monotonic() < deadline:
            time.sleep(0.5)
            status = _status(served_env, result_id)
        assert status == "SUCCESSFUL", "".join(lines)
    finally:
        # and told to stop, it stops its children and exits cleanly
        process.send_signal(signal.SIGTERM)  # SIGINT: the same forwarding (test_serve.py)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(lines) + output
    assert "Worker stopped." in output
