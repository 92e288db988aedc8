"""A private PostgreSQL cluster for fault tests: started by the test, stopped and restarted at will.

Why its own cluster: a fault test stops or restarts the server under a running process (the
scheduler, a worker), which must never happen to the shared server other test runs use. The
cluster lives in a fresh directory under /tmp, listens on a free port of 127.0.0.1 only, trusts
local connections and skips fsync (a test's data need not survive a power cut), so initdb and a
restart take about a second.

PostgreSQL refuses to run as root. When the tests run as root, the server runs as the
`postgres` user (`runuser -u postgres`): the directory is created under /tmp (pytest's own
temporary directories are private to root) and handed to that user.

Use the `pg_cluster` fixture (function scope: import `pg_cluster_fixture` into the test module),
or `PgCluster.create()` in a fixture of another scope. Binaries: `LOOKOUT_TEST_PG_BINDIR`, else
the newest /usr/lib/postgresql/*/bin, else `pg_ctl` on PATH; without them, or as root without a
`postgres` user, the test is skipped.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lookout.testing.parts import missing
from lookout.testing.ports import free_port


def _bindir() -> Path | None:
    configured = os.environ.get("LOOKOUT_TEST_PG_BINDIR")
    if configured:
        return Path(configured)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for candidate in reversed(versions):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@dataclass
class PgCluster:
    """One private cluster: `url()` for Django, `stop()`, `start()`, `restart()`, `execute()`."""

    base: Path
    port: int
    bindir: Path
    run_as: str | None  # the user the server runs as, when the tests run as root

    @property
    def data(self) -> Path:
        return self.base / "data"

    @classmethod
    def create(cls, *, database: str = "lookout") -> PgCluster:
        """initdb in a new directory, start the server and create `database`."""
        bindir = _bindir()
        if bindir is None:
            missing("PostgreSQL server binaries", "set LOOKOUT_TEST_PG_BINDIR")
        run_as = None
        base = Path(tempfile.mkdtemp(prefix="lookout-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(base)
                missing("the postgres user", "running as root, PostgreSQL needs a user to run as")
            os.chown(base, owner.pw_uid, owner.pw_gid)
            run_as = "postgres"
        cluster = cls(base=base, port=free_port(), bindir=bindir, run_as=run_as)
        cluster._run(
            "initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        cluster.start()
        cluster.execute(f'CREATE DATABASE "{database}"', database="postgres")
        return cluster

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}\n{tail}")

    def url(self, database: str = "lookout") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-w", "-t", "30", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session (as a restart by an operator does),
        `immediate` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def execute(self, sql: str, params: tuple[object, ...] = (), *, database: str = "lookout"):
        """Run one statement on its own autocommit connection; the rows, if it returns any."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as db:
            cursor = db.execute(sql, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(name="pg_cluster")
def pg_cluster_fixture() -> Iterator[PgCluster]:
    """A private cluster for one test (import `pg_cluster_fixture` into the test module)."""
    cluster = PgCluster.create()
    try:
        yield cluster
    finally:
        cluster.destroy()
