"""How fast this machine runs Python right now: a fixed workload, timed, so that figures taken on
different days can be compared.

The development machine is shared, and its speed changes from day to day: the same code ran the
test suite in 4.4 minutes on one day and 9.6 on another, and checkout made 83-91 orders/s on one
day and 192 on another. A figure without the machine's speed beside it cannot be compared with a
target or with an earlier figure. `make bench` therefore prints this figure before and after its
runs, and saves both (decision 0027).

The workload is deterministic and does what the store's request paths mostly do: build small
dicts and lists, call functions, format strings, encode JSON and hash bytes. Its instruction count
is fixed (`valgrind --tool=callgrind`), so milliseconds per run measure the machine, not the code.

Run alone: .venv/bin/python bench/machine.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

RUNS = 7


def _record(i: int) -> dict[str, object]:
    return {
        "id": f"order-{i:06d}",
        "lines": [{"sku": f"CAM-{j}", "quantity": j % 3 + 1} for j in range(4)],
        "total": f"{i * 1.07:.2f}",
        "paid": i % 2 == 0,
    }


def workload(rounds: int = 4_000) -> int:
    """A fixed amount of request-like Python work; returns a checksum so none of it is skipped."""
    digest = hashlib.sha256()
    for i in range(rounds):
        record = _record(i)
        text = json.dumps(record, sort_keys=True)
        digest.update(text.encode())
        record["lines"].sort(key=lambda line: (-line["quantity"], line["sku"]))
    return int.from_bytes(digest.digest()[:4], "big")


def speed() -> dict[str, float]:
    """Best and median milliseconds of `RUNS` runs of the workload (lower is faster)."""
    workload(200)  # warm up imports and caches
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        workload()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"best_ms": round(times[0], 2), "median_ms": round(times[len(times) // 2], 2)}


def describe(figures: dict[str, float]) -> str:
    return (
        f"machine speed: reference workload {figures['best_ms']:.1f} ms best, "
        f"{figures['median_ms']:.1f} ms median of {RUNS} (lower is faster; bench/machine.py)"
    )


def main() -> int:
    print(describe(speed()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
