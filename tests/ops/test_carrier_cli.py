"""`lookout carrier simulate` as an operator runs it (issue 20, item 6): refused in the
production profile, where only the real carrier may speak for a parcel; and with `--url`, the
signed update goes over HTTP to a running store, which verifies and applies it. Each runs in
child processes, as settings are read once per process."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.ops.conftest import create_master_key_file, read_until, start_lookout
from tests.ops.test_concurrency import free_port

# Its own files in a temporary var dir, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent


def test_carrier_simulate_refuses_in_production(run_lookout, production_env) -> None:
    # when
    done = run_lookout(
        "carrier", "simulate", "LK-ABCD2345", "--to", "delivered", env=production_env
    )
    # then
    assert done.returncode != 0
    assert "not available in production" in done.stderr
    assert "the carrier reported" not in done.stdout


def test_carrier_simulate_posts_to_the_running_store(run_lookout, served_env) -> None:
    # given: the demo's shipped order (after the master key file, made here as `keys init`
    # makes it, as `make setup` runs them), and the store serving on a free port
    create_master_key_file(Path(served_env["LOOKOUT_MASTER_KEY_FILE"]))
    demo = run_lookout("demo", env=served_env)
    assert demo.returncode == 0, demo.stderr
    found = re.search(r"order shipped: (LK-[A-Z0-9]+) .*, shipped", demo.stdout)
    assert found, demo.stdout
    number, port = found.group(1), free_port()
    server = start_lookout(served_env, "serve", "--port", str(port))
    lines: list[str] = []
    try:
        read_until(server, "Lookout is serving on", lines)
        # when
        url = f"http://127.0.0.1:{port}"
        moved = run_lookout("carrier", "simulate", number, "--url", url, env=served_env)
        again = run_lookout("carrier", "simulate", number, "--url", url, env=served_env)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    # then: the store applied the update; the order is delivered, so a second one is refused
    assert moved.returncode == 0, moved.stderr
    assert f"Order {number}: the carrier reported delivered" in moved.stdout
    assert again.returncode != 0
    assert f"Order {number} is delivered, not shipped" in again.stderr
