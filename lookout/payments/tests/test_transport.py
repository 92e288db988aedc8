"""WsgiTransport: in-process processor calls on a shared pool of worker threads, with a timeout
that holds whether the processor hangs or every worker is busy."""

from __future__ import annotations

import concurrent.futures
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lookout.payments import transport
from lookout.payments.transport import TransportError, TransportTimeout, WsgiTransport


class App:
    """A WSGI app that answers {"ok": true} and notes the thread that served it."""

    def __init__(self, *, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.gate, self.fail = gate, fail
        self.threads: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.threads.append(threading.get_ident())
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail:
            raise RuntimeError("the processor broke")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"ok": True}).encode()]


def call(app: App, timeout: float = 5.0) -> Any:
    return WsgiTransport(app, timeout=timeout).request("POST", "/x", body={}, headers={})


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(transport, "_pool", pool)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


def test_calls_reuse_the_pool_threads_instead_of_starting_one_each() -> None:
    app = App()
    answers = [call(app) for _ in range(20)]
    assert all(a.data == {"ok": True} for a in answers)
    assert threading.get_ident() not in app.threads  # never on the caller's thread
    assert len(set(app.threads)) < 20
    assert len(set(app.threads)) <= transport.POOL_WORKERS


def test_a_hanging_processor_times_out(small_pool: Any) -> None:
    gate = threading.Event()
    try:
        with pytest.raises(TransportTimeout):
            call(App(gate=gate), timeout=0.05)
    finally:
        gate.set()


def test_a_call_waiting_for_a_busy_pool_times_out_and_never_runs(small_pool: Any) -> None:
    gate = threading.Event()
    hanging, queued = App(gate=gate), App()
    try:
        with pytest.raises(TransportTimeout):
            call(hanging, timeout=0.05)
        with pytest.raises(TransportTimeout):  # the only worker is still busy
            call(queued, timeout=0.05)
    finally:
        gate.set()
    assert call(App()).data == {"ok": True}  # the worker is free again
    assert queued.threads == []  # the call that timed out in the queue was dropped


def test_a_failing_processor_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match="failed"):
        call(App(fail=True))


def test_a_forked_child_starts_its_own_pool() -> None:
    call(App())  # the parent's pool has a worker thread now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's worker threads do not exist here
        try:
            ok = transport._pool is None and call(App(), timeout=2).data == {"ok": True}
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert status == 0
