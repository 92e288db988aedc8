"""Child processes that start and stop together: `lookout serve` (server, worker, scheduler) and
`lookout worker` (worker, scheduler).

Why: each child runs in its own session, so a Ctrl-C in the terminal reaches it exactly once,
through us; and when one child dies on its own the others are stopped, so nothing half-running
is left behind (a server without its worker would accept orders whose emails never go out).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Writes(Protocol):
    def write(self, text: str, /) -> object: ...


CLEAN_EXITS = (0, -signal.SIGINT, -signal.SIGTERM)


class Children:
    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.stopping: list[int] = []

    def start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(argv, start_new_session=True)  # noqa: S603 our own argv
        self.processes.append(process)
        return process

    @contextmanager
    def forwarding_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM sent to us are passed on to every child still running."""

        def forward(signum: int, frame: FrameType | None) -> None:
            self.stopping.append(signum)
            for child in self.processes:
                if child.poll() is None:
                    child.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def wait(self, stderr: _Writes) -> int:
        """Wait until a child exits (or we are told to stop), then stop the rest; the first
        exit code that is not a clean stop, else 0."""
        while not self.stopping and all(child.poll() is None for child in self.processes):
            time.sleep(0.2)
        if not self.stopping:  # one child died on its own: take the others down with it
            stderr.write("A child process exited; stopping the others.\n")
            for child in self.processes:
                if child.poll() is None:
                    child.terminate()
        codes = []
        for child in self.processes:
            try:
                codes.append(child.wait(timeout=30))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
        return next((code for code in codes if code not in CLEAN_EXITS), 0)
