"""Throughput and p99 latency of the category and product pages under the real server.

Usage: .venv/bin/python bench/storefront.py [--requests 2000] [--concurrency 8] [--workers 2]

Runs granian (WSGI) on 127.0.0.1 against a fresh SQLite database in a temporary directory with
the demo catalog; when DATABASE_URL is set (PostgreSQL), it runs a second time against that
database. The load loop is bounded (a fixed number of requests) and only ever talks to
127.0.0.1. Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from lookout.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _ensure_postgres_databases(url: str) -> None:
    """Create the bench database and its key store database when they do not exist yet."""
    import dj_database_url
    import psycopg

    name = dj_database_url.parse(url)["NAME"]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for db in (name, name + "_keys"):
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')


def _prepare(env: dict[str, str]) -> None:
    if env.get("DATABASE_URL"):
        _ensure_postgres_databases(env["DATABASE_URL"])

    def run(*args: str) -> None:
        done = subprocess.run(
            [str(BIN / "lookout"), *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise SystemExit(f"lookout {' '.join(args)} failed:\n{done.stderr[-2000:]}")

    run("keys", "init")
    run("migrate", "--noinput")
    run("migrate", "--database", "keystore", "--noinput")
    run("createcachetable")
    run("shell", "-c", "from lookout.catalog import demo; demo.load(progress=lambda m: None)")


def _product_path(base: str) -> str:
    with urllib.request.urlopen(base + "/c/outdoor-cameras/", timeout=5) as r:  # noqa: S310
        html = r.read().decode()
    start = html.index('href="/p/') + len('href="')
    return html[start : html.index('"', start)]


def _load(port: int, path: str, total: int, concurrency: int) -> tuple[float, float, int]:
    """Fire `total` GETs over `concurrency` keep-alive connections; (req/s, p99 ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != 200:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    return len(latencies) / elapsed, p99, errors[0]


def bench(label: str, env: dict[str, str], args: argparse.Namespace) -> None:
    _prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "lookout.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        pages = {"category": "/c/outdoor-cameras/", "product": _product_path(base)}
        for name, path in pages.items():
            _load(port, path, min(200, args.requests), args.concurrency)  # warm up
            rps, p99, errors = _load(port, path, args.requests, args.concurrency)
            print(f"{label:10} {name:9} {rps:8.0f} req/s   p99 {p99:7.1f} ms   errors {errors}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{args.requests} requests per page, {args.concurrency} connections, "
        f"{args.workers} granian workers, 127.0.0.1"
    )
    base_env = {
        **os.environ,
        "LOOKOUT_ENV": "development",
        "LOOKOUT_DEBUG": "0",
        "LOOKOUT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
    }
    pg_url = base_env.pop("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="lookout-bench-") as tmp:
        bench("sqlite", {**base_env, "LOOKOUT_VAR_DIR": tmp}, args)
        if pg_url:
            bench("postgres", {**base_env, "LOOKOUT_VAR_DIR": tmp, "DATABASE_URL": pg_url}, args)


if __name__ == "__main__":
    main()
