"""Concurrent writes through the real server never fail with "database is locked".

The real server (granian, several processes and threads) runs against a fresh database: SQLite by
default, PostgreSQL (through the psycopg pool) when the suite runs with DATABASE_URL. Many clients
then write at once; every request must succeed and every write must land.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lookout.core.serving import granian_command
from lookout.testing.ports import free_port
from tests.ops.conftest import REPO, clean_env

REQUESTS = 240
CLIENTS = 24


def wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server never answered:\n{log.read_text()}")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a fresh SQLite file, or a fresh PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
        return
    import psycopg

    base, _ = url.rsplit("/", 1)
    name = f"lookout_ops_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[int]:
    env = clean_env(
        tmp_path,
        LOOKOUT_ENV="development",
        LOOKOUT_DEBUG="0",
        DATABASE_URL=database_url,
        KEYSTORE_DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="tests.ops.concurrency_settings",
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "lookout.cli", "migrate", "sessions", "--noinput"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            granian_command(
                host="127.0.0.1",
                port=port,
                workers=2,
                threads=4,
                target="lookout.wsgi:application",
            ),
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        output = log.read_text()
        assert "database is locked" not in output
        assert "Traceback" not in output, output


def post(port: int, path: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local server
        return response.status, response.read().decode()


def test_many_concurrent_writes_through_the_real_server_all_succeed(server):
    # given the real server with 2 processes x 4 threads on a fresh database
    port = server

    # when many clients write at the same time
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(lambda _: post(port, "/write/"), range(REQUESTS)))

    # then every request succeeded and every write landed
    assert results == [(200, "written")] * REQUESTS
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count/", timeout=30) as response:
        assert response.read().decode() == str(REQUESTS)
