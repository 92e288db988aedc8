"""Child processes that start and stop together: `lookout serve` (server, worker, scheduler) and
`lookout worker` (worker, scheduler). Decisions 0016 and 0029.

Why: each child runs in its own session, so a Ctrl-C in the terminal reaches it exactly once,
through us; and when one child dies on its own the others are stopped and we exit non-zero naming
it, so nothing half-running is left behind (a server without its worker would accept orders whose
emails never go out) and a service manager starts the whole unit again.

The children also die with us when we cannot stop them ourselves (SIGKILL, the OOM killer): on
Linux each child is started through this module (`python -m lookout.core.children PARENT_PID --
ARGV`), which asks the kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), checks
that the parent did not die before it asked, and then execs the real program in the same process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CLEAN_EXITS = (0, -signal.SIGINT, -signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEATH_SIGNAL = signal.SIGTERM  # a graceful stop: granian drains, the worker finishes its task


class _Writes(Protocol):
    def write(self, text: str, /) -> object: ...


def how_it_ended(code: int) -> str:
    """`exit code 3`, or `killed by SIGKILL (exit code -9)`: what an operator can act on."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name} (exit code {code})"
    return f"exit code {code}"


def _dies_with_parent(argv: list[str]) -> list[str]:
    """`argv` started through the death-signal shim below; unchanged where there is no prctl."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-m", "lookout.core.children", str(os.getpid()), "--", *argv]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def describe(self) -> str:
        return f"The {self.name} (pid {self.process.pid})"


class Children:
    def __init__(self) -> None:
        self.children: list[Child] = []
        self.stopping: list[int] = []

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [child.process for child in self.children]

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start `argv` as the child called `name` (it names the child in error messages).

        Only from the main thread: the kernel sends the death signal when the *thread* that forked
        the child ends, and only the main thread lives as long as this process."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("Children.start must run on the main thread (PR_SET_PDEATHSIG).")
        process = subprocess.Popen(_dies_with_parent(argv), start_new_session=True)  # noqa: S603 our own argv
        self.children.append(Child(name, process))
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

    def wait(self, stderr: _Writes) -> str | None:
        """Wait until a child exits or we are told to stop, then stop the rest.

        Returns None after a stop we were asked for, else why the unit failed, naming the child
        that ended first. A child that ends on its own is a failure whatever its exit code: with
        exit code 0, `Restart=on-failure` would leave a store without its worker, or a worker
        without its scheduler, down for good."""
        died: Child | None = None
        while not self.stopping and died is None:
            died = next((c for c in self.children if c.process.poll() is not None), None)
            if died is None:
                time.sleep(0.2)
        failed = died if not self.stopping else None
        if failed is not None:  # take the others down with it
            stderr.write(
                f"{failed.describe()} exited on its own: "
                f"{how_it_ended(failed.process.returncode)}; stopping the others.\n"
            )
            for process in self.processes:
                if process.poll() is None:
                    process.terminate()
        for child in self.children:
            try:
                child.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stderr.write(f"{child.describe()} did not stop within 30 s; killing it.\n")
                child.process.kill()
                child.process.wait()
        if failed is not None:
            return (
                f"{failed.describe()} stopped unexpectedly: "
                f"{how_it_ended(failed.process.returncode)}. The others were stopped."
            )
        for child in self.children:  # asked to stop: report a child that did not stop cleanly
            if child.process.returncode not in CLEAN_EXITS:
                stderr.write(
                    f"{child.describe()} ended with {how_it_ended(child.process.returncode)} "
                    "while stopping.\n"
                )
        return None


def _exec_dying_with_parent(parent: int, argv: list[str]) -> None:
    """Become `argv` (same pid, via exec), set to get DEATH_SIGNAL when `parent` dies.

    The death signal survives exec. If the parent died before we asked for it, we were already
    handed to another parent and no signal would ever come: then we do not start at all."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent:
        sys.exit(f"lookout: the parent process {parent} is gone; not starting {argv[0]}.")
    os.execvp(argv[0], argv)  # noqa: S606 our own argv, passed by Children.start


if __name__ == "__main__":
    # python -m lookout.core.children PARENT_PID -- ARGV...
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: python -m lookout.core.children PARENT_PID -- PROGRAM [ARG...]")
    _exec_dying_with_parent(int(sys.argv[1]), sys.argv[3:])
