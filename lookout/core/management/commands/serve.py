"""`lookout serve`: the real server (granian, WSGI) and, optionally, the background worker.

Why a wrapper instead of calling granian directly: `make run` must start the site *and* the task
worker with one command, stop both on Ctrl-C, and make sure static files are in place. The two
run as child processes in their own sessions, so a signal reaches each exactly once (we forward
it) and neither outlives the other.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.core.serving import (
    granian_command,
    scheduler_command,
    server_url,
    worker_command,
)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
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

        children: list[subprocess.Popen[bytes]] = []
        server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            granian_command(
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                threads=options["threads"],
                ssl_cert=options["ssl_cert"],
                ssl_key=options["ssl_key"],
            ),
            start_new_session=True,
        )
        children.append(server)
        if options["with_worker"]:
            children.append(
                subprocess.Popen(worker_command(), start_new_session=True)  # noqa: S603
            )
            children.append(
                subprocess.Popen(scheduler_command(), start_new_session=True)  # noqa: S603
            )

        stopping: list[int] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            stopping.append(signum)
            for child in children:
                if child.poll() is None:
                    child.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
        try:
            url = server_url(
                host=options["host"], port=options["port"], tls=bool(options["ssl_cert"])
            )
            if self._wait_until_listening(server, options["host"], options["port"]):
                self.stdout.write(self.style.SUCCESS(f"Lookout is serving on {url}"))
                if options["with_worker"]:
                    self.stdout.write("The background task worker and scheduler are running.")
                self.stdout.write("Press Ctrl-C to stop.")
            exit_code = self._supervise(children, stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if exit_code and not stopping:
            raise CommandError(f"A child process stopped unexpectedly (exit code {exit_code}).")
        self.stdout.write("Lookout stopped.")

    def _collect_static(self) -> None:
        """Production serves the hashed, compressed copies in STATIC_ROOT (whitenoise); in
        development whitenoise reads the app folders directly, so collect only once."""
        static_root = Path(settings.STATIC_ROOT)
        if settings.DEBUG and static_root.is_dir():
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

    def _supervise(self, children: list[subprocess.Popen[bytes]], stopping: list[int]) -> int:
        """Wait until a child exits (or we are told to stop), then stop the rest."""
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        if not stopping:  # one child died on its own: take the others down with it
            self.stderr.write("A child process exited; stopping the others.")
            for child in children:
                if child.poll() is None:
                    child.terminate()
        codes = []
        for child in children:
            try:
                codes.append(child.wait(timeout=30))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
        return next((code for code in codes if code not in (0, -2, -15)), 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("Run this as `lookout serve`.")
