"""Cheaper set-ups for the operator tests that run `lookout` in child processes (the task worker,
the scheduler): fewer child processes, a smaller prepared site where a test needs only a few
tables, and looks at a site's SQLite files instead of a `lookout shell` process per look.

Why: on the 2-core test machine each `lookout` process costs about 2 s of CPU to start (Django,
Tink; its exit is quick since `lookout/cli.py` ends with `gc.freeze()`); migrating a whole
site (both databases) costs about 10 s of CPU more.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# The tables the scheduler reads and writes: its jobs' state (`LOOKOUT_SCHEDULER_STATE_MODEL`,
# retention.ScheduledJob) and the database task queue it enqueues into and hands tasks back
# to. It touches no other table (lookout.core.scheduler), so a site with these migrated is a
# site it runs on as it runs on a whole one; migrating only them costs a fifth of a whole site.
SCHEDULER_APPS = ("retention", "django_tasks_database")


def scheduler_site_code(*then: str) -> str:
    """Python for `lookout shell -c`: the scheduler's tables migrated (`SCHEDULER_APPS`) in one
    process, followed by the statements `then`."""
    steps = [
        "from django.core.management import call_command as run",
        *(f"run('migrate', {app!r}, interactive=False, verbosity=0)" for app in SCHEDULER_APPS),
        *then,
    ]
    return "; ".join(steps)


def task_row(var_dir: Path, task_id: str) -> tuple[str, str | None]:
    """(status, return value as JSON) of a task in the database queue of the SQLite site in
    `var_dir`, read from its file (what `task.get_result(id)` reads, without a `lookout`
    process per look); the id as `enqueue().id` prints it."""
    with closing(sqlite3.connect(var_dir / "lookout.sqlite3", timeout=30)) as db:
        sql = "SELECT status, return_value FROM django_tasks_database_dbtaskresult WHERE id = ?"
        row = db.execute(sql, (task_id.replace("-", ""),)).fetchone()
    assert row is not None, f"no task {task_id} in {var_dir}"
    return row[0], row[1]
