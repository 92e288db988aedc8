"""A scale-out site of its own: a fresh PostgreSQL database pair, Redis db 7, a master key file,
and helpers to start `lookout serve --with-worker` processes against them and stop every child.

Why subprocesses and raw SQL: the settings are read once per process and the pytest process runs
the test profile, so the site under test lives in child processes with the development profile;
the checks read the rows straight from PostgreSQL, which is what "no duplicate" is about.

The site's databases are copies of a pair of PostgreSQL template databases (CREATE DATABASE ...
TEMPLATE: about a second) instead of being migrated and loaded with demo data each time (about
17 s of the test's setup): the pair is built once per source tree (`lookout.testing.sites.
cached_site`, which keeps the site's var dir and the Redis keys it wrote beside it) and again
every TEMPLATE_HOURS, so a site is never older than a fresh one by more than that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lookout.testing.parts import missing
from lookout.testing.sites import CACHE, cached_site, site_setup_code

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# below the databases the passes and their workers use (lookout.testing.parts.redis_test_url)
REDIS_URL = "redis://127.0.0.1:6379/7"
SETUP_TIMEOUT = 60.0
# The scale-out site: migrated, with the demo's catalog, people, policies and the checkout's
# partners; not its orders: the scenario counts every order, payment and line in the database
# as its own (lookout.testing.sites: one process for all of it).
SITE_SETUP = site_setup_code(
    "from lookout.catalog import demo as c",
    "from lookout.accounts import demo as a",
    "from lookout.policies import demo as p",
    "from lookout.orders import demo as o",
    "[m.load(progress=lambda line: None) for m in (c, a, p)]",
    "o.ensure_partners()",
)
TEMPLATE_PREFIX = "lookout_scale_tpl_"
# A template is built again after this many hours: the demo's rows carry the time they were
# made, and retention runs in the scenario (its shortest period, the cache's, is a day).
TEMPLATE_HOURS = 6


def _postgres_answers() -> str:
    """'' when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL on 127.0.0.1:5432 (user postgres) does not answer: {error}"
    return ""


def _redis_answers() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis on 127.0.0.1:6379 does not answer: {error}"
    return ""


@contextlib.contextmanager
def _redis_db_lock(wait: float = 120.0) -> Iterator[None]:
    """Redis db 7 is shared by every checkout on this machine: one scale test at a time."""
    path = Path(tempfile.gettempdir()) / "lookout-scale-redis14.lock"
    with path.open("a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.skip("another scale-out test is using Redis db 7 on this machine")
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def _admin(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        cursor = conn.execute(sql, params or None)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []


def _site_env(name: str, var_dir: Path) -> dict[str, str]:
    """The environment of the site's processes: its databases, Redis, its var dir and key file,
    the development profile."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOOKOUT_", "DJANGO_", "GRANIAN_"))
        and key not in {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "REDIS_URL"}
        and key != "PYTEST_CURRENT_TEST"
    }
    return env | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": REDIS_URL,
        "LOOKOUT_ENV": "development",
        "LOOKOUT_DEBUG": "0",
        # The shoppers' requests name their own addresses (tests: `http(shopper=...)`).
        "LOOKOUT_TRUSTED_PROXIES": "127.0.0.1/32",
        "LOOKOUT_VAR_DIR": str(var_dir),
        "LOOKOUT_MASTER_KEY_FILE": str(var_dir / "master-keyset.json"),
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
        "PYTHONPATH": str(REPO),
    }


def _drop_template(name: str) -> None:
    for database in (name, f"{name}_keys"):
        if _admin("SELECT 1 FROM pg_database WHERE datname = %s", database):
            _admin(f'ALTER DATABASE "{database}" WITH IS_TEMPLATE false')
            _admin(f'DROP DATABASE "{database}" WITH (FORCE)')


def _build_template(folder: Path) -> None:
    """The scale-out site, made as `make run`'s setup makes one (SITE_SETUP) on a pair of new
    databases, which then become templates nobody may connect to; its var dir (key file,
    product photos) and the Redis keys it wrote are kept in `folder`. Runs with Redis db 7
    held (`_redis_db_lock`)."""
    name = TEMPLATE_PREFIX + secrets.token_hex(4)
    (folder / "database").write_text(name)
    # whose template it is: a checkout's cache folder (see _forget_orphan_templates)
    owner = json.dumps({"cache": str(CACHE)}).replace("'", "''")
    try:
        for database in (name, f"{name}_keys"):
            _admin(f'CREATE DATABASE "{database}"')
            _admin(f"COMMENT ON DATABASE \"{database}\" IS '{owner}'")
        _flush_redis()
        var_dir = folder / "var"
        var_dir.mkdir()
        builder = Site(name=name, env=_site_env(name, var_dir), var_dir=var_dir)
        builder.lookout("shell", "-c", SITE_SETUP)
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        keys = [key if isinstance(key, bytes) else key.encode() for key in client.keys("*")]
        kept = {key.hex(): bytes(client.dump(key) or b"").hex() for key in keys}
        (folder / "redis.json").write_text(json.dumps(kept))
        for database in (name, f"{name}_keys"):
            _admin(f'ALTER DATABASE "{database}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
    except BaseException:
        _drop_template(name)
        raise


def _forget_orphan_templates() -> None:
    """Drop the templates whose cache folder is gone (lookout.testing.sites forgets a folder an
    hour after its last use, or `rm -r var/test-sites`): those of this checkout's cache no
    folder names, and those of a checkout whose cache folder no longer exists."""
    known = {
        (entry / "database").read_text()
        for entry in CACHE.iterdir()
        if (entry / "database").is_file()
    }
    rows = _admin(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname LIKE %s AND datname NOT LIKE %s",
        TEMPLATE_PREFIX + "%",
        "%\\_keys",
    )
    for name, comment in rows:
        try:
            cache = Path(json.loads(comment or "{}").get("cache", ""))
        except ValueError:
            continue
        if (cache == CACHE and name not in known) or (str(cache) != "." and not cache.is_dir()):
            _drop_template(name)


def _template() -> tuple[str, Path]:
    """(template database name, its folder): the scale-out site of this source tree, built if
    there is none younger than TEMPLATE_HOURS."""
    generation = str(int(time.time() // (TEMPLATE_HOURS * 3600)))
    for _ in range(2):
        folder = cached_site(_build_template, "scale-out site template", SITE_SETUP, generation)
        name = (folder / "database").read_text()
        present = {row[0] for row in _admin("SELECT datname FROM pg_database")}
        if {name, f"{name}_keys"} <= present:
            return name, folder
        # the folder outlived its databases (a PostgreSQL wiped meanwhile): build them again
        shutil.rmtree(folder, ignore_errors=True)
    pytest.fail(f"the scale-out site's template databases vanish as soon as they are made: {name}")


def _copy_template(name: str, var_dir: Path) -> None:
    """The site `name` with `var_dir`, copied from the template: both databases, the var dir
    (key file, product photos), and the Redis keys its setup wrote (Redis db 7 emptied first).
    Runs with Redis db 7 held (`_redis_db_lock`)."""
    template, folder = _template()
    _forget_orphan_templates()
    _flush_redis()
    for suffix in ("", "_keys"):
        _admin(f'CREATE DATABASE "{name}{suffix}" TEMPLATE "{template}{suffix}"')
    shutil.copytree(folder / "var", var_dir, dirs_exist_ok=True)
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    for key, value in json.loads((folder / "redis.json").read_text()).items():
        client.restore(bytes.fromhex(key), 0, bytes.fromhex(value), replace=True)


@dataclass
class Site:
    """One deployment: both databases, Redis, the shared var dir with the master key file."""

    name: str
    env: dict[str, str]
    var_dir: Path
    children: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def keystore_url(self) -> str:
        return self.database_url + "_keys"

    def lookout(self, *args: str, timeout: float = SETUP_TIMEOUT) -> str:
        """Run `lookout <args>`; its stdout, or fail the test with its output."""
        done = subprocess.run(
            [sys.executable, "-m", "lookout.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"`lookout {' '.join(args)}` failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    def query(self, sql: str, *params: Any, keystore: bool = False) -> list[tuple[Any, ...]]:
        import psycopg

        url = self.keystore_url if keystore else self.database_url
        with psycopg.connect(url, connect_timeout=5) as conn:
            return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]

    def serve(self, *ports: int) -> list[str]:
        """Start `lookout serve --with-worker` on each port, all at once (each start-up is
        mostly Django's imports in four processes, which overlap); their base URLs once each
        one's /healthz says ok."""
        started = [(port, self._start(port)) for port in ports]
        return [self._healthy(port, process) for port, process in started]

    def _start(self, port: int) -> subprocess.Popen[str]:
        log = (self.var_dir / f"serve-{port}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable, "-m", "lookout.cli", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--with-worker", "--no-collectstatic",
            ],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        self.children.append(process)
        return process

    def _healthy(self, port: int, process: subprocess.Popen[str]) -> str:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SETUP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve on {port} exited early:\n{self.server_log(port)}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(base + "/healthz", timeout=2) as answer,  # noqa: S310
            ):
                if answer.status == 200:
                    return base
            time.sleep(0.05)
        pytest.fail(f"serve on {port} did not become healthy:\n{self.server_log(port)}")

    def server_log(self, port: int) -> str:
        return (self.var_dir / f"serve-{port}.log").read_text()[-4000:]

    def stop_all(self) -> None:
        """Stop every server and everything it started (granian, worker, scheduler each run in a
        session of their own, so their process groups are found and signalled one by one)."""
        groups = {pgid for child in self.children for pgid in _descendant_groups(child.pid)}
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # serve forwards it to its children
        deadline = time.monotonic() + 15
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
        groups |= {pgid for child in self.children for pgid in _descendant_groups(child.pid)}
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)


def _descendant_groups(root: int) -> set[int]:
    """Process groups of `root` and of every process below it (read from /proc)."""
    parents: dict[int, list[int]] = {}
    groups: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid, pgid = int(entry.name), int(fields[1]), int(fields[2])
        parents.setdefault(ppid, []).append(pid)
        groups[pid] = pgid
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in groups:
            found.add(groups[pid])
        todo.extend(parents.get(pid, []))
    return found


@pytest.fixture(scope="module")
def scale_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated site with demo data on fresh PostgreSQL databases (copies of the template)
    and Redis db 7; dropped, flushed and stopped afterwards whatever happens."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        # It builds its own PostgreSQL databases whatever the suite runs on, so running it in
        # the SQLite pass of `make test` too would only repeat it.
        pytest.skip("the scale-out test runs in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    why_not = _postgres_answers() or _redis_answers()
    if why_not:
        missing("PostgreSQL and Redis", why_not)
    name = f"lookout_scale_{secrets.token_hex(4)}"
    tmp_path = tmp_path_factory.mktemp("scale")
    with _redis_db_lock():
        site = Site(name=name, env=_site_env(name, tmp_path), var_dir=tmp_path)
        try:
            _copy_template(name, tmp_path)
            yield site
        finally:
            site.stop_all()
            _flush_redis()
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(f'DROP DATABASE IF EXISTS "{name}_keys" WITH (FORCE)')
