"""Counting the instructions a Python process executes in a measured stretch, under callgrind.

Why: on this machine timings swing by half within minutes, while the same code gives the same
count to within a few hundredths of a percent (decision 0023). The process
under count prepares itself, says it is ready, runs the measured work when told to go, says it
is done and waits to be stopped; counting is switched on only between "go" and "done"
(`callgrind_control`), so start-up and preparation are not counted. A database server's own
work is not counted: it runs in its own processes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.common import ROOT


def count(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Instructions `command` executes between its `ready()` and `done()`; it gets
    `--signals DIR` appended, to pass on to them."""
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        signals = Path(tmp)
        out = signals / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             *command, "--signals", tmp],
            env={**env, "PYTHONHASHSEED": "0"}, cwd=ROOT, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _wait_for(signals / "ready", process)
        _instrument(process.pid, "on")
        (signals / "go").touch()
        _wait_for(signals / "done", process)
        _instrument(process.pid, "off")
        (signals / "stop").touch()
        process.wait(timeout=600)
        totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
        if totals is None:
            raise SystemExit("callgrind wrote no totals")
        return int(totals.group(1))


def ready(signals: Path) -> None:
    """In the counted process: prepared; wait until counting is on."""
    (signals / "ready").touch()
    _until(signals / "go")


def done(signals: Path) -> None:
    """In the counted process: the measured work is over; wait until counting is off."""
    (signals / "done").touch()
    _until(signals / "stop")


def _instrument(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def _until(path: Path) -> None:
    while not path.exists():
        time.sleep(0.1)


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    while not path.exists():
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr else ""
            raise SystemExit(f"the counted process stopped early:\n{errors[-3000:]}")
        time.sleep(0.2)
