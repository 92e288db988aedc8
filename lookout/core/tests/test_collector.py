"""The cyclic collector is paused for a large build and runs again after it, whatever happens."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from lookout.core.collector import collector_paused

pytestmark = pytest.mark.database_independent


@pytest.fixture(autouse=True)
def _collector_running() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_in_the_block_and_runs_again_after_it():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_runs_again_after_an_error_in_the_block():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the build failed")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_pauses_from_two_threads_end_when_the_last_one_ends():
    # given a pause begun on another thread, which waits until told to end
    began, end = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            began.set()
            end.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    began.wait(5)
    # when this thread's own pause ends first
    with collector_paused():
        pass
    # then the collector stays paused for the other one, and runs again once it ends
    assert not gc.isenabled()
    end.set()
    thread.join(5)
    assert gc.isenabled()
