"""Shared pieces of the benchmarks: throwaway databases, the real server, a bounded client.

Everything talks to 127.0.0.1 only, every load loop is bounded (a request count or a deadline),
and figures are returned to be printed, never asserted.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/lookout"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_url() -> str:
    """The PostgreSQL server to use (DATABASE_URL, else the local default) or "" if none."""
    url = os.environ.get("DATABASE_URL", "") or PG_DEFAULT
    if not url.startswith("postgres"):
        return ""
    try:
        import psycopg

        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2).close()
    except Exception:
        return ""
    return url


def redis_url() -> str:
    """REDIS_URL if a Redis server answers there, else ""."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return ""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:
        return ""
    return url


@contextlib.contextmanager
def throwaway_env(*, postgres: str = "", extra: dict[str, str] | None = None) -> Iterator[dict]:
    """Environment for a fresh store: its own var dir (SQLite files, master key) or a fresh
    PostgreSQL database pair created here and dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="lookout-bench-") as tmp:
        env = {
            **os.environ,
            "LOOKOUT_ENV": "development",
            "LOOKOUT_DEBUG": "0",
            "LOOKOUT_LOG_LEVEL": "WARNING",
            "LOOKOUT_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "lookout.settings",
            "PYTHONPATH": str(ROOT),
            **(extra or {}),
        }
        env.pop("DATABASE_URL", None)
        env.pop("KEYSTORE_DATABASE_URL", None)
        name = ""
        if postgres:
            name = f"lookout_bench_{secrets.token_hex(4)}"
            _pg(postgres, f'CREATE DATABASE "{name}"', f'CREATE DATABASE "{name}_keys"')
            env["DATABASE_URL"] = postgres.rsplit("/", 1)[0] + "/" + name
        try:
            yield env
        finally:
            if name:
                _pg(
                    postgres,
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'DROP DATABASE IF EXISTS "{name}_keys" WITH (FORCE)',
                )


def _pg(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def lookout(env: dict, *args: str, timeout: int = 600) -> str:
    done = subprocess.run(
        [str(BIN / "lookout"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"lookout {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(env: dict, *, demo: bool = True) -> None:
    lookout(env, "keys", "init")
    lookout(env, "migrate", "--noinput")
    lookout(env, "migrate", "--database", "keystore", "--noinput")
    lookout(env, "createcachetable")
    if demo:
        lookout(env, "demo")


def wait_until_up(base: str, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310 loopback
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def server(env: dict, *, workers: int = 2, threads: int = 4) -> Iterator[str]:
    """The production server command (`lookout serve`'s granian argv) on a free loopback port."""
    from lookout.core.serving import granian_command

    port = free_port()
    command = granian_command(host="127.0.0.1", port=port, workers=workers, threads=threads)
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(base)
        except OSError:
            process.terminate()
            raise SystemExit(process.communicate(timeout=10)[1].decode()[-3000:]) from None
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self) -> str:
        return (
            f"{self.rps:8.0f} req/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
            f"errors {self.errors}"
        )

    def as_dict(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Request = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


def hammer(base: str, request: Request, *, total: int, concurrency: int = 16) -> Load:
    """`total` requests over `concurrency` keep-alive connections, each thread its own share;
    `request(i)` gives (method, path, body, headers). A status >= 400 counts as an error."""
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        for i in range(offset, total, concurrency):
            method, path, body, headers = request(i)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 599
            mine.append(time.perf_counter() - t0)
            bad += status >= 400
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return Load(
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors[0],
    )


def get(path: str) -> Request:
    return lambda i: ("GET", path, None, {})


def post_json(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 loopback
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 loopback
        return json.loads(response.read() or b"{}")


def customer_with_orders(orders: int) -> Any:
    """A new customer with `orders` orders of one product (Django set up by the caller): the
    person whose access file and erasure the benchmarks measure."""
    from lookout.accounts.services import create_account
    from lookout.catalog.tests.factories import product
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart
    from lookout.policies.initial import ensure_initial_versions

    ensure_initial_versions()
    user = create_account(
        email=f"bench.{secrets.token_hex(4)}@example.com", password="bench-passphrase-1"
    )
    item = product(stock=orders * 2)
    for _ in range(orders):
        cart, _ = make_cart(item)
        place_order(
            cart=cart,
            delivery=details(email=None),
            idempotency_key=secrets.token_urlsafe(16),
            user=user,
        )
    return user
