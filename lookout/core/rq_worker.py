"""RQ workers that stop when told to: `lookout worker` on Redis runs `Worker` (RQ's forking
worker); tests that work a queue in their own process run `SimpleWorker`.

Why a class of our own: with redis-py 8.2, RQ 3.0's `unsubscribe()` sends UNSUBSCRIBE and then
waits for the thread listening on the worker's command channel to end; when the reply wakes that
thread before it is told to stop, it goes back to a full wait of 60 s. So a worker told to stop
(SIGTERM from a service manager, or the end of a burst) sometimes took a minute to exit (measured:
one burst in four of a one-job queue took 60.4 s instead of 0.4 s), and a deploy waited on it or
killed it. The listening thread here waits 0.2 s at a time instead. Which jobs run, and how, is
RQ's own code, unchanged.
"""

from __future__ import annotations

from rq import SimpleWorker as _SimpleWorker
from rq import Worker as _Worker

LISTEN_SECONDS = 0.2


class _StopsPromptly:
    def subscribe(self) -> None:
        self.log.info(  # type: ignore[attr-defined]
            "Worker %s: subscribing to channel %s",
            self.name,  # type: ignore[attr-defined]
            self.pubsub_channel_name,  # type: ignore[attr-defined]
        )
        self.pubsub = self.connection.pubsub()  # type: ignore[attr-defined]
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})  # type: ignore[attr-defined]
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,  # type: ignore[attr-defined]
        )


class Worker(_StopsPromptly, _Worker):
    """`lookout worker`'s RQ worker (`--worker-class lookout.core.rq_worker.Worker`)."""


class SimpleWorker(_StopsPromptly, _SimpleWorker):
    """Jobs run in the worker's own process (tests: they see the test's database)."""
