"""`lookout scheduler`: enqueue periodic tasks when due (see lookout.core.scheduler).

Run one next to the task worker (`lookout serve --with-worker` starts both). Several may run at
once: each due slot is enqueued exactly once. It also hands back tasks whose worker died. A
database or Redis outage does not stop it: it retries with a backoff (`run_forever`). Stops
cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import task_backends

from lookout.core.scheduler import one_pass, periodic_jobs, run_forever


class Command(BaseCommand):
    help = "Enqueue periodic tasks (retention, rollups) when they are due."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--backend", default="default", help="Django Tasks backend alias")
        parser.add_argument(
            "--max-sleep", type=float, default=60.0, help="longest pause between passes (s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["backend"] not in task_backends.settings:
            raise CommandError(f"No task backend is named {options['backend']!r} in TASKS.")
        if options["max_sleep"] <= 0:
            raise CommandError("--max-sleep must be more than 0 seconds.")
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        if not options["once"]:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, on_signal)
            self.stdout.write(
                "Scheduler started: " + ", ".join(f"{p.name} ({p.cron})" for p in periodic_jobs())
            )
        if options["once"]:  # one pass, its errors shown to the operator who asked for it
            names, _ = one_pass(backend=options["backend"], max_sleep=options["max_sleep"])
            for name in names:
                self.stdout.write(f"Enqueued {name}")
        else:
            run_forever(
                stop=stop, backend=options["backend"], max_sleep=options["max_sleep"], say=self._say
            )
        self.stdout.write("Scheduler stopped.")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
