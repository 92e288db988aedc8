"""`lookout serve` and `lookout worker` as a service manager sees them (issue 27, findings 3 and 4):

- a server that just stopped (or crashed) can be started again on the same port at once, though
  the port still has connections in TIME-WAIT;
- a parent killed with SIGKILL takes its children (granian and its workers, the task worker, the
  scheduler) with it, so nothing keeps running unsupervised or keeps holding the port;
- a child that dies on its own, however it dies, makes the whole unit exit non-zero with a message
  naming that child, so systemd's `Restart=on-failure` starts the unit again.

Processes are found by pid in /proc (a zombie counts as gone: it has exited and only waits for
init to collect its status). Whatever a test leaves running is killed by pid at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.conftest import REPO, read_until, start_lookout
from tests.ops.test_concurrency import free_port

# Its own SQLite files, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

TIME_WAIT = "06"  # the state column of /proc/net/tcp


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]  # the name in (...) may hold spaces
    return state, int(ppid)


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _still_alive(pids: set[int], within: float = 15) -> set[int]:
    """The processes of `pids` still running after up to `within` seconds (polled)."""
    deadline = time.monotonic() + within
    alive = {pid for pid in pids if _alive(pid)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {pid for pid in alive if _alive(pid)}
    return alive


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _tcp_states(port: int) -> list[str]:
    """The state of every IPv4 TCP socket whose *local* port is `port`."""
    states = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _remote, state = line.split()[1:4]
        if int(local.rsplit(":", 1)[1], 16) == port:
            states.append(state)
    return states


def _request_closed_by_server(port: int) -> None:
    """One request after which the *server* closes first (we read to the end of the stream before
    closing): the server's end of it stays in TIME-WAIT on `port` for a minute."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            b"GET /static/admin/css/base.css HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Connection: close\r\n\r\n"
        )
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


@pytest.fixture
def leftovers() -> Iterator[set[int]]:
    """Pids this test started; any still running at the end are killed (by pid), so a failing
    test leaves no orphan holding a port."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _serve(env: dict[str, str], port: int, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = start_lookout(env, "serve", "--port", str(port), *args)
    lines: list[str] = []
    read_until(process, "Lookout is serving on", lines)
    return process, lines


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


def test_a_server_starts_again_at_once_on_its_port_with_connections_in_time_wait(
    served_env, leftovers
):
    # given `lookout serve` that answered requests and closed the connections itself
    port = free_port()
    process, lines = _serve(served_env, port)
    leftovers.add(process.pid)
    leftovers.update(_descendants(process.pid))
    for _ in range(3):
        _request_closed_by_server(port)
    # when it is stopped
    output = _stop(process)
    assert process.returncode == 0, "".join(lines) + output
    # (the port is left with connections in TIME-WAIT and nothing listening)
    assert TIME_WAIT in _tcp_states(port)
    assert not _listening(port)

    # then it starts again on the same port straight away, and serves
    again, lines = _serve(served_env, port, "--no-collectstatic")
    leftovers.add(again.pid)
    leftovers.update(_descendants(again.pid))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/admin/css/base.css") as r:
        assert r.status == 200
    output = _stop(again)
    assert again.returncode == 0, "".join(lines) + output


def test_a_port_with_a_listener_still_counts_as_taken(served_env):
    # given a real listener that allows address reuse (as granian's own does)
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when serve is started on its port
        result = subprocess.run(
            [sys.executable, "-m", "lookout.cli", "serve", "--port", str(port)],
            env=served_env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    # then the port check still refuses it: address reuse skips only TIME-WAIT connections
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr


def test_killing_serve_takes_its_children_with_it_and_frees_the_port(served_env, leftovers):
    # given `lookout serve --with-worker`, its server answering (so granian's workers are up)
    port = free_port()
    process, lines = _serve(served_env, port, "--with-worker")
    leftovers.add(process.pid)
    _request_closed_by_server(port)
    children = _children(process.pid)
    family = _descendants(process.pid)
    leftovers.update(family)
    assert len(children) == 3, "server, task worker, scheduler: " + str(children)

    # when the parent is killed outright (nothing of it can run: no handler, no cleanup)
    process.kill()
    process.wait(timeout=10)

    # then every process it started stops by itself, and the port is free again
    assert _still_alive(family) == set(), [_cmdline(pid) for pid in _still_alive(family, 0)]
    assert not _listening(port)
    # and a new server starts there straight away
    again, lines = _serve(served_env, port, "--no-collectstatic")
    leftovers.add(again.pid)
    leftovers.update(_descendants(again.pid))
    output = _stop(again)
    assert again.returncode == 0, "".join(lines) + output


def test_killing_the_worker_unit_takes_the_worker_and_the_scheduler_with_it(served_env, leftovers):
    # given `lookout worker --with-scheduler`
    process = start_lookout(served_env, "worker", "--with-scheduler")
    leftovers.add(process.pid)
    lines: list[str] = []
    read_until(process, "background task worker is running", lines)
    family = _descendants(process.pid)
    leftovers.update(family)
    assert len(_children(process.pid)) == 2, "worker and scheduler"

    # when the parent is killed outright
    process.kill()
    process.wait(timeout=10)

    # then the worker and the scheduler stop too
    assert _still_alive(family) == set(), [_cmdline(pid) for pid in _still_alive(family, 0)]


def _child_running(parent: int, needle: str) -> int:
    """The pid of the child of `parent` whose command line holds `needle`."""
    matches = [pid for pid in _children(parent) if needle in _cmdline(pid)]
    assert len(matches) == 1, [_cmdline(pid) for pid in _children(parent)]
    return matches[0]


def test_a_killed_worker_stops_serve_with_an_error_naming_it(served_env, leftovers):
    # given `lookout serve --with-worker`
    port = free_port()
    process, lines = _serve(served_env, port, "--with-worker")
    leftovers.add(process.pid)
    leftovers.update(_descendants(process.pid))
    worker = _child_running(process.pid, "db_worker")

    # when its task worker is killed (as the kernel's OOM killer would)
    os.kill(worker, signal.SIGKILL)
    output, _ = process.communicate(timeout=60)

    # then the whole unit stops with an error that names the worker and how it ended, so a
    # service manager restarts the unit
    assert process.returncode != 0, "".join(lines) + output
    assert f"The task worker (pid {worker}) stopped unexpectedly" in output, output
    assert "killed by SIGKILL" in output
    # and nothing of it is left running
    assert not _listening(port)


def test_a_child_that_exits_cleanly_on_its_own_is_still_a_failure_of_the_unit(
    served_env, leftovers
):
    # given `lookout worker --with-scheduler`
    process = start_lookout(served_env, "worker", "--with-scheduler")
    leftovers.add(process.pid)
    lines: list[str] = []
    read_until(process, "background task worker is running", lines)
    leftovers.update(_descendants(process.pid))
    scheduler = _child_running(process.pid, "scheduler")

    # when only the scheduler is told to stop (it stops cleanly: exit code 0)
    os.kill(scheduler, signal.SIGTERM)
    output, _ = process.communicate(timeout=60)

    # then the unit does not report a clean stop: without its scheduler nothing periodic would
    # run, and with exit code 0 `Restart=on-failure` would leave it down
    assert process.returncode != 0, "".join(lines) + output
    assert f"The scheduler (pid {scheduler}) stopped unexpectedly" in output, output
    assert "Worker stopped." not in output


def test_a_child_whose_parent_is_already_gone_does_not_start(served_env):
    # given a child about to start for a parent that is no longer its parent (the parent died
    # between the fork and the moment the child asked to die with it); pid 1 stands for it
    result = subprocess.run(
        [sys.executable, "-m", "lookout.core.children", "1", "--",
         sys.executable, "-c", "print('started')"],
        env=served_env, cwd=REPO, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    # then it exits at once with an error instead of running unsupervised
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "parent" in result.stderr
