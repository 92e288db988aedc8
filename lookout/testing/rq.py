"""An RQ worker for tests that work a Redis queue in the test's own process.

`BurstWorker` is RQ's `SimpleWorker` (jobs run in the worker's process, so they see the test's
database and settings) with one change: its command channel is read in 0.2 s waits instead of
RQ's 60 s. With redis-py 8.2, RQ 3.0's `unsubscribe()` sends UNSUBSCRIBE and then waits for the
listening thread to end; when the reply wakes that thread before it is told to stop, it goes back
to a full wait, and `work(burst=True)` returns a minute late (measured: one run in four of a
one-job queue took 60.4 s instead of 0.4 s; two retention tests each took 60 s in the suite).
Which jobs run, and how, is RQ's own code, unchanged.
"""

from __future__ import annotations

from rq import SimpleWorker

LISTEN_SECONDS = 0.2


class BurstWorker(SimpleWorker):
    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=LISTEN_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )
