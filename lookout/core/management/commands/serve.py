"""`lookout serve`: the real server (granian, WSGI) and, optionally, the background worker.

Why a wrapper instead of calling granian directly: `make run` must start the site *and* the task
worker with one command, stop both on Ctrl-C, and make sure static files are in place. The two
run as child processes in their own sessions, so a signal reaches each exactly once (we forward
it) and neither outlives the other, not even when this process is killed outright
(lookout.core.children, decision 0029).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.core.children import Children
from lookout.core.metrics import ENV_VAR, prepare_directory
from lookout.core.serving import (
    granian_command,
    metrics_directory,
    scheduler_command,
    server_url,
    worker_command,
)


def _port_in_use(host: str, port: int) -> bool:
    """Whether something listens on the port: a bind that allows address reuse, as granian's own
    does, so connections of a server that just stopped (a minute in TIME-WAIT) do not count and
    a restart right after a stop or a crash works at once. A real listener still refuses it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


class Command(BaseCommand):
    help = (
        "Serve Lookout with granian (WSGI); --with-worker also runs the task worker and the "
        "periodic-task scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="server processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per process")
        parser.add_argument("--with-worker", action="store_true", help="run the task worker too")
        parser.add_argument("--ssl-cert", type=Path, help="certificate: granian terminates TLS")
        parser.add_argument("--ssl-key", type=Path, help="private key (PKCS#8) for --ssl-cert")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="do not collect static files"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["ssl_cert"]) != bool(options["ssl_key"]):
            raise CommandError("--ssl-cert and --ssl-key go together: give both or neither.")
        for option in ("ssl_cert", "ssl_key"):
            if options[option] and not options[option].is_file():
                raise CommandError(f"--{option.replace('_', '-')}: no file at {options[option]}")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        if _port_in_use(options["host"], options["port"]):
            raise CommandError(
                f"Port {options['port']} on {options['host']} is already in use (is Lookout "
                "already running?). Stop it, or choose another port with --port."
            )
        if not options["no_collectstatic"]:
            self._collect_static()

        # The workers add up their figures in this directory (lookout.core.metrics); emptied
        # first, so a restart starts its counters at zero, as Prometheus expects of a restart.
        os.environ[ENV_VAR] = str(prepare_directory(metrics_directory(options["port"])))

        children = Children()
        server = children.start(
            "server (granian)",
            granian_command(
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                threads=options["threads"],
                ssl_cert=options["ssl_cert"],
                ssl_key=options["ssl_key"],
            ),
        )
        if options["with_worker"]:
            children.start("task worker", worker_command())
            children.start("scheduler", scheduler_command())

        with children.forwarding_signals():
            url = server_url(
                host=options["host"], port=options["port"], tls=bool(options["ssl_cert"])
            )
            if self._wait_until_listening(server, options["host"], options["port"]):
                self.stdout.write(self.style.SUCCESS(f"Lookout is serving on {url}"))
                if options["with_worker"]:
                    self.stdout.write("The background task worker and scheduler are running.")
                self.stdout.write("Press Ctrl-C to stop.")
            failure = children.wait(self.stderr)
        if failure:  # non-zero exit, so a service manager starts the whole unit again
            raise CommandError(failure)
        self.stdout.write("Lookout stopped.")

    def _collect_static(self) -> None:
        """Production serves the hashed, compressed copies in STATIC_ROOT (whitenoise); in
        development whitenoise reads the app folders directly (its finders), so collect only
        once."""
        static_root = Path(settings.STATIC_ROOT)
        if settings.WHITENOISE_USE_FINDERS and static_root.is_dir():
            return
        self.stdout.write(f"Collecting static files into {static_root} ...")
        call_command("collectstatic", interactive=False, verbosity=0)

    def _wait_until_listening(self, server: subprocess.Popen[bytes], host: str, port: int) -> bool:
        """Print the URL only once it answers, so a person can click it straight away."""
        probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
        probe_host = "::1" if probe_host == "::" else probe_host
        for _ in range(600):
            if server.poll() is not None:
                return False
            try:
                with socket.create_connection((probe_host, port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit("Run this as `lookout serve`.")
