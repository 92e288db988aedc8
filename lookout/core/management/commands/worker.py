"""`lookout worker`: the background task worker on its own, for machines that serve no pages.

Why a command of our own: the worker to run depends on the configuration (RQ's when tasks go to
Redis, `REDIS_URL`; else the database queue's), and the periodic-task scheduler should be able to
run beside it. The operator runs one command whatever the backend (docs/operations.md), and it
stops cleanly on SIGINT or SIGTERM, as `lookout serve` does. If one child dies the other is
stopped and the command exits non-zero naming it; if this process is killed outright, its
children stop too (lookout.core.children, decision 0029).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.core.children import Children
from lookout.core.serving import scheduler_command, worker_command


class Command(BaseCommand):
    help = (
        "Run the background task worker of the configured queue (Redis with REDIS_URL, else the "
        "database); --with-scheduler also runs the periodic-task scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--with-scheduler",
            action="store_true",
            help="also run the scheduler that enqueues retention, roll-ups and the self-audit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        children = Children()
        children.start("task worker", worker_command())
        if options["with_scheduler"]:
            children.start("scheduler", scheduler_command())
        queue = "Redis (RQ)" if "rq" in settings.TASKS["default"]["BACKEND"].lower() else "database"
        with children.forwarding_signals():
            self.stdout.write(
                f"The background task worker is running ({queue} queue)"
                + (", with the scheduler" if options["with_scheduler"] else "")
                + ". Press Ctrl-C to stop."
            )
            failure = children.wait(self.stderr)
        if failure:  # non-zero exit, so a service manager starts the whole unit again
            raise CommandError(failure)
        self.stdout.write("Worker stopped.")
