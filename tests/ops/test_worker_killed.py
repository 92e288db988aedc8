"""A database worker killed (SIGKILL) in the middle of the key re-wrap: the scheduler hands the
task back, another worker finishes it, and only the keys left are re-wrapped (issue 27, finding
5, as the operator's fault run met it: the re-wrap stopped with thousands of keys on the old
master key until someone re-queued it by hand)."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.ops.conftest import lookout_cli, start_lookout

# Its own SQLite files, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

KEYS = 6000
SETUP = f"""
import json, uuid
from lookout.vault import rotation
from lookout.vault.crypto import create_data_keys
from lookout.vault.tasks import rewrap_data_keys
create_data_keys(subjects=[uuid.uuid4() for _ in range({KEYS})], kind="customer")
primary = rotation.rotate_master_key()
print(json.dumps({{"primary": primary, "task": str(rewrap_data_keys.enqueue().id)}}))
"""
WORKER = ("db_worker", "--no-reload", "--queue-name", "*", "--no-startup-delay")


def _rewrapped(var_dir: Path, primary: int) -> int:
    with sqlite3.connect(var_dir / "keystore.sqlite3", timeout=30) as db:
        sql = "SELECT count(*) FROM vault_datakey WHERE master_key_id = ?"
        return int(db.execute(sql, (primary,)).fetchone()[0])


def _task(var_dir: Path, task_id: str) -> tuple[str, str | None]:
    with sqlite3.connect(var_dir / "lookout.sqlite3", timeout=30) as db:
        sql = "SELECT status, return_value FROM django_tasks_database_dbtaskresult WHERE id = ?"
        row = db.execute(sql, (task_id.replace("-", ""),)).fetchone()
    return row[0], row[1]


def test_a_rewrap_whose_worker_was_killed_is_finished_by_the_next_worker(served_env):
    var_dir = Path(served_env["LOOKOUT_VAR_DIR"])
    # given a master key, many data keys, a rotation, and the re-wrap queued
    assert lookout_cli("keys", "init", env=served_env).returncode == 0
    done = lookout_cli("shell", "-c", SETUP, env=served_env)
    assert done.returncode == 0, done.stderr
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    # when a worker starts it and is killed once some batches are committed
    worker = start_lookout(served_env, *WORKER)
    try:
        deadline = time.monotonic() + 60
        while _rewrapped(var_dir, setup["primary"]) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
    before = _rewrapped(var_dir, setup["primary"])
    if before == KEYS:
        pytest.skip("the re-wrap finished before the worker could be killed (a very fast machine)")
    assert before > 0
    # then the task is still RUNNING, its worker gone: nothing would ever run it again
    assert _task(var_dir, setup["task"])[0] == "RUNNING"

    # when the scheduler passes (its timeout made 0 s, so "RUNNING" means "abandoned" at once)
    # and a worker works the queue
    env = {**served_env, "LOOKOUT_TASK_TIMEOUT": "0"}
    done = lookout_cli("scheduler", "--once", env=env)
    assert done.returncode == 0, done.stderr
    done = lookout_cli(*WORKER, "--batch", env=served_env, timeout=120)
    assert done.returncode == 0, done.stderr
    # then the re-wrap finished, re-wrapping only the keys the killed worker had not
    status, value = _task(var_dir, setup["task"])
    assert status == "SUCCESSFUL"
    assert json.loads(value or "null") == KEYS - before
    assert _rewrapped(var_dir, setup["primary"]) == KEYS
