"""The production profile's Redis queue gives every job RQ's Retry and Lookout's task timeout
(issue 27, finding 5: a job whose worker was killed went to the failed registry for good)."""

from __future__ import annotations

import json
import os

import pytest

from lookout.testing.parts import missing

# A process of its own on Redis, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

REDIS_URL = os.environ.get("LOOKOUT_TEST_REDIS_RECOVERY_URL", "redis://127.0.0.1:6379/6")

PROBE = """
import json
import django
django.setup()
import django_rq
from rq.job import Job
from lookout.analytics.tasks import daily_analytics

result = daily_analytics.enqueue()
queue = django_rq.get_queue("default")
job = Job.fetch(result.id, connection=queue.connection)
print(json.dumps({"retries_left": job.retries_left, "timeout": job.timeout}))
queue.remove(job)
job.delete()
queue.connection.srem("rq:queues", queue.key)
"""


def test_production_jobs_on_redis_carry_retries_and_the_task_timeout(production_env, run_python):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        missing("Redis", f"it does not answer at {REDIS_URL}: {exc}")
    env = {**production_env, "REDIS_URL": REDIS_URL, "LOOKOUT_TASK_TIMEOUT": "900"}
    # when the production profile enqueues a task on its Redis queue
    result = run_python(PROBE, env=env)
    # then RQ will run the job again up to three times, and stop it after the task timeout
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "retries_left": 3,
        "timeout": 900,
    }
