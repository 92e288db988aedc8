"""`make loadtest`: a bounded load test of a realistic mix (browse, search, cart, checkout)
against the real server; reports throughput, p50/p99 and errors per kind.

Each of --users threads loops for --seconds (default 60): home, a category, a product, a search,
and every fifth round a cart (API) and a guest checkout (API). By default it starts its own
server on loopback over a fresh store (SQLite, or PostgreSQL with --postgres).

With --url (`make loadtest URL=https://shop.example`) it loads a deployment that is already
running instead, and starts nothing. Point it only at your own deployment: a load test is
indistinguishable from an attack to whoever runs the target. There the mix is browse, search and
carts; guest checkouts place real orders and hold stock, so they run only with --with-checkout
(a staging copy with the sandbox processor). Both loops stop at the deadline; --seconds and
--users are capped. Not part of `make test` (it takes a minute).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import ssl
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.checkout import BUYER_ENV, STOCK_SQL, _skus, buyer
from bench.common import lookout, percentile, postgres_url, prepare, server, throwaway_env

WORDS = ["camera", "outdoor", "doorbell", "4k", "battery", "kestrel", "lock", "sensor", "solar"]
MAX_SECONDS, MAX_USERS = 600, 64


def connector(base: str) -> tuple[Callable[[float], http.client.HTTPConnection], str]:
    """A function opening a connection to `base` (http or https, any port), and the path
    prefix to put before every request's path ("" for a site at the root)."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(f"Not an http(s) URL: {base!r} (e.g. https://shop.example).")
    host, port, prefix = parts.hostname, parts.port, parts.path.rstrip("/")
    if parts.scheme == "https":
        context = ssl.create_default_context()

        def open_tls(timeout: float) -> http.client.HTTPConnection:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)

        return open_tls, prefix

    def open_plain(timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(host, port, timeout=timeout)

    return open_plain, prefix


def run(base: str, *, users: int, seconds: float, checkout: bool = True) -> dict:
    connect, prefix = connector(base)
    skus = _skus(base)
    conn0 = connect(10)
    conn0.request("GET", prefix + "/api/v1/categories")
    categories = [c["slug"] for c in json.loads(conn0.getresponse().read())]
    conn0.close()
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(n: int) -> None:
        rng = random.Random(n)
        conn = connect(30)
        mine: dict[str, list[float]] = defaultdict(list)
        bad: dict[str, int] = defaultdict(int)

        def call(
            kind: str, method: str, path: str, body: dict | None = None, client: str = ""
        ) -> dict:
            nonlocal conn
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data else {}
            if client:  # believed only by a server that trusts this machine as its proxy
                headers["X-Forwarded-For"] = client
            t0 = time.perf_counter()
            try:
                conn.request(method, prefix + path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = connect(30)
                raw, status = b"", 599
            mine[kind].append(time.perf_counter() - t0)
            if status >= 400:
                bad[kind] += 1
            is_json = raw[:1] == b"{"
            return json.loads(raw) if is_json and status < 400 else {}

        round_ = 0
        while time.monotonic() < deadline:
            round_ += 1
            call("browse", "GET", "/")
            call("browse", "GET", f"/c/{rng.choice(categories)}/")
            call("browse", "GET", f"/api/v1/products/{rng.choice(skus)}")
            call("search", "GET", f"/search/?q={rng.choice(WORDS)}")
            if round_ % 5 == 0:
                token = call("cart", "POST", "/api/v1/cart", {}).get("token")
                if token:
                    item = {"sku": rng.choice(skus), "quantity": 1}
                    call("cart", "POST", f"/api/v1/cart/{token}/items", item)
                if token and checkout:
                    # each order another buyer (one visitor holds few unpaid orders at once)
                    delivery, address = buyer(n * 1_000_000 + round_)
                    order = {"cart": token, "idempotency_key": secrets.token_urlsafe(12),
                             "delivery": delivery}  # fmt: skip
                    call("checkout", "POST", "/api/v1/checkout/orders", order, address)
        conn.close()
        with lock:
            for kind, values in mine.items():
                samples[kind].extend(values)
            for kind, count in bad.items():
                errors[kind] += count

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    report: dict = {"seconds": round(elapsed, 1), "users": users, "kinds": {}}
    total = sum(len(v) for v in samples.values())
    every = [x for v in samples.values() for x in v]
    for kind, values in sorted(samples.items()):
        report["kinds"][kind] = {
            "requests": len(values),
            "rps": round(len(values) / elapsed, 1),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "errors": errors.get(kind, 0),
        }
    report["all"] = {
        "requests": total,
        "rps": round(total / elapsed, 1),
        "p50_ms": round(percentile(every, 0.5) * 1000, 1),
        "p99_ms": round(percentile(every, 0.99) * 1000, 1),
        "errors": sum(errors.values()),
    }
    for kind, figures in [*report["kinds"].items(), ("all", report["all"])]:
        print(f"  {kind:9} {figures['requests']:6} req  {figures['rps']:7.1f} req/s  "
              f"p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:7.1f} ms  "
              f"errors {figures['errors']}")  # fmt: skip
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--url",
        default=os.environ.get("LOADTEST_URL", ""),
        help="load this running deployment (your own) instead of starting a server",
    )
    parser.add_argument(
        "--with-checkout",
        action="store_true",
        help="with --url: also place guest orders (real orders: use a staging copy)",
    )
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS or not 0 < args.users <= MAX_USERS:
        parser.error(f"--seconds must be 1-{MAX_SECONDS} and --users 1-{MAX_USERS}.")
    if args.url:
        return _against(args.url.rstrip("/"), args)
    pg = postgres_url() if args.postgres else ""
    if args.postgres and not pg:
        print("PostgreSQL is not reachable.")
        return 1
    label = "postgres" if pg else "sqlite"
    with throwaway_env(postgres=pg, extra=BUYER_ENV) as env:
        prepare(env)
        lookout(env, "shell", "-c", STOCK_SQL)
        with server(env, workers=2, threads=8) as base:
            print(f"Load test: {args.users} users, {args.seconds:.0f} s, {label}, 127.0.0.1")
            report = run(base, users=args.users, seconds=args.seconds)
    out = Path(__file__).resolve().parents[1] / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"loadtest-{label}.json").write_text(json.dumps(report, indent=2))
    return 1 if report["all"]["errors"] else 0


def _against(url: str, args: argparse.Namespace) -> int:
    """Load a running deployment: nothing is started, nothing is saved over the local runs."""
    what = "browse, search, cart" + (", checkout" if args.with_checkout else "")
    print(f"Load test: {args.users} users, {args.seconds:.0f} s, {url} ({what})")
    report = run(url, users=args.users, seconds=args.seconds, checkout=args.with_checkout)
    out = Path(__file__).resolve().parents[1] / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "loadtest-url.json").write_text(json.dumps({"url": url, **report}, indent=2))
    return 1 if report["all"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
