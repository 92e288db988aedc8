"""An RQ worker for tests that work a Redis queue in the test's own process: RQ's `SimpleWorker`
(jobs run in the worker's process, so they see the test's database and settings) with the
product's prompt stop (lookout.core.rq_worker), so `work(burst=True)` returns when the queue is
empty rather than up to a minute later."""

from __future__ import annotations

from lookout.core.rq_worker import SimpleWorker as BurstWorker

__all__ = ["BurstWorker"]
