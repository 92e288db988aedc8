"""`lookout serve --with-worker` starts the real server and the task worker, prints the URL,
serves pages and static files, and stops both cleanly on SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from tests.ops.conftest import REPO, read_until, start_lookout
from tests.ops.test_concurrency import free_port

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_with_worker_serves_and_stops_cleanly(served_env, stop_signal):
    # given `lookout serve --with-worker` on a free port
    port = free_port()
    process = start_lookout(served_env, "serve", "--with-worker", "--port", str(port))
    lines: list[str] = []
    try:
        # when it says it is ready
        read_until(process, "Lookout is serving on", lines)

        # then it printed the URL, and pages and static files answer
        assert f"http://127.0.0.1:{port}/" in lines[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/admin/css/base.css") as r:
            assert r.status == 200
        # and the background worker is running
        read_until(process, "Starting worker", lines)
    finally:
        # when it is told to stop
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=60)
    lines.append(output)

    # then it stopped both children and exited cleanly
    assert process.returncode == 0, "".join(lines)
    assert "Lookout stopped." in output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_serve_refuses_half_a_tls_configuration(served_env, tmp_path: Path):
    # given a certificate without its key
    cert = tmp_path / "cert.pem"
    cert.write_text("not really a certificate")

    # when serve is asked to terminate TLS
    result = subprocess.run(
        [sys.executable, "-m", "lookout.cli", "serve", "--ssl-cert", str(cert)],
        env=served_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    # then it refuses with a clear message instead of serving plain HTTP
    assert result.returncode != 0
    assert "--ssl-cert and --ssl-key go together" in result.stderr


def test_serve_says_when_the_port_is_taken(served_env):
    # given something already listening on the port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # when serve is started on it
        result = subprocess.run(
            [sys.executable, "-m", "lookout.cli", "serve", "--port", str(port)],
            env=served_env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    # then it explains instead of failing later inside granian
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr


def _stored_events(env: dict[str, str]) -> int:
    """The analytics events in the site's database, read from its SQLite file (the table of
    lookout.analytics.models.Event, where the server writes them) by this process: the same
    count as `Event.objects.count()` in a `lookout shell` of the site, without starting one
    (about 2 s of CPU each, three times a test)."""
    from lookout.analytics.models import Event

    database = Path(env["LOOKOUT_VAR_DIR"]) / "lookout.sqlite3"  # settings: DATABASE_URL unset
    query = f'SELECT COUNT(*) FROM "{Event._meta.db_table}"'
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
        (count,) = connection.execute(query).fetchone()
    return int(count)


CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)


def test_analytics_events_waiting_in_memory_are_written_when_the_server_stops(served_env):
    # given the server, with analytics batches written only every 10 minutes
    env = {**served_env, "LOOKOUT_ANALYTICS_FLUSH_SECONDS": "600"}
    before = _stored_events(env)
    port = free_port()
    process = start_lookout(env, "serve", "--port", str(port))
    lines: list[str] = []
    try:
        read_until(process, "Lookout is serving on", lines)
        # when 20 beacons of 2 events each are accepted
        body = b'{"events":[{"kind":"view","path":"/"},{"kind":"view","path":"/c/x/"}]}'
        for _ in range(20):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/analytics/beacon",
                data=body,
                headers={"Content-Type": "text/plain", "User-Agent": CHROME},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 loopback
                assert response.status == 204
        # (still waiting in memory: the next batch is ten minutes away)
        assert _stored_events(env) == before
    finally:
        # and the server is stopped as an operator stops it
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(lines) + output
    # then every accepted event was written on the way out
    assert _stored_events(env) - before == 40
