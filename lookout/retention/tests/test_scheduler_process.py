"""`lookout scheduler` as the worker's neighbour: it starts on a migrated site, schedules the
periodic tasks, and stops cleanly on SIGTERM (as `lookout serve --with-worker` stops it)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.ops.conftest import REPO, migrated_site, served_env  # noqa: F401 fixtures

# A site of its own on SQLite files, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent


@pytest.mark.commitment("C4.6")
def test_scheduler_process_schedules_retention_and_stops_on_sigterm(served_env):  # noqa: F811
    # given a migrated site of its own (a copy of the session's migrated site)
    env = served_env
    tmp_path = Path(env["LOOKOUT_VAR_DIR"])
    # when the scheduler starts
    process = subprocess.Popen(
        [sys.executable, "-m", "lookout.cli", "scheduler", "--max-sleep", "1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Scheduler started: ")
        assert "retention.daily (17 3 * * *)" in first
        # (its first pass, which schedules the jobs, may take a moment on a busy machine)
        deadline = time.monotonic() + 60
        while not _scheduled(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        # and is told to stop
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    # then it stopped cleanly, and the daily retention run is on its schedule
    assert process.returncode == 0, output
    assert "Scheduler stopped." in output
    assert "retention.daily" in _scheduled(tmp_path)


def _scheduled(var_dir: Path) -> set[str]:
    with closing(sqlite3.connect(var_dir / "lookout.sqlite3", timeout=30)) as db:
        return {row[0] for row in db.execute("SELECT name FROM retention_scheduledjob")}
