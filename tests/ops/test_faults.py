"""Nothing lost when a process dies (issue 27, item 7): the fault run, in the suite.

Two `lookout serve` and two `lookout worker` (one with the scheduler) run on a private PostgreSQL
cluster and a private Redis (the queue and the cache, with its append-only file), as
docs/operations.md deploys them. Shoppers place and pay orders through the JSON API and the
processor's page for a bounded time, retrying a request that got no answer (another server,
the same idempotency key) as a real client does. Meanwhile: kill -9 of a server, a master key
rotation whose re-wrap task is running when both workers are killed with kill -9, a restart of
PostgreSQL, a restart of Redis. Then every order a shopper saw accepted exists once and opens
(its delivery name decrypts to what was sent), every order paid on the processor's page is paid
once the store has asked the processor, the stock matches the orders that hold it, the re-wrap
finished (no task lost), and `lookout audit verify` passes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from lookout.testing.parts import missing
from lookout.testing.ports import free_port
from lookout.testing.sites import site_setup_code
from sandbox_processor.shopper import future_expiry
from tests.ops.conftest import REPO, clean_env, lookout_cli, start_lookout
from tests.ops.pgcluster import PgCluster

# Its own PostgreSQL cluster and Redis, whatever the pass: run once, in the PostgreSQL pass of
# `make test`, which is otherwise the shorter of the two.
pytestmark = pytest.mark.in_postgres_pass

LOAD_SECONDS = 24
SHOPPERS = 6
UNUSED_KEYS = 20_000  # so that the re-wrap runs long enough to be killed in the middle
STOCK = 10_000
SKUS = ["EX-1001", "EX-1002", "EX-1003", "EX-2001"]


class PrivateRedis:
    """A Redis of the test's own, persisting every write to its append-only file, as the
    operations guide asks of a Redis that carries the queue."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            missing("redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="lookout-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--logfile", str(self.dir / "redis.log")],
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def restart(self) -> None:
        assert self.process is not None
        self.process.terminate()  # a clean shutdown, as an operator's restart
        self.process.wait(20)
        self.start()

    def destroy(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Unit:
    """One `lookout serve` or `lookout worker` unit, as a service manager would run it."""

    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def start(self) -> None:
        self.process = start_lookout(self.env, *self.args)
        self.reader = threading.Thread(target=self._drain, args=(self.process,), daemon=True)
        self.reader.start()

    def _close(self) -> None:
        """Wait a little for the reader: it closes the pipe at its end (the unit's children,
        told by the kernel that their parent died, may take a moment to let go of it)."""
        if self.reader is not None:
            self.reader.join(10)

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                self.log.append(line)

    def kill(self) -> None:
        """kill -9 of the unit's own process: its children die with it (PR_SET_PDEATHSIG)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close()

    def kill_all(self) -> None:
        """kill -9 of the unit and of every process under it at once, as a machine's OOM killer
        or a crash takes them: a task running in a worker dies in the middle, with no chance to
        finish or to say so."""
        assert self.process is not None
        tree = [self.process.pid, *_descendants(self.process.pid)]
        for pid in reversed(tree):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        self._close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._close()


def _descendants(pid: int) -> list[int]:
    """Every process under `pid`, parents before children (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def _serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no server answered on port {port}")


def _call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


@dataclass
class Accepted:
    number: str
    name: str
    paid_on_page: bool = False


class Shopper:
    """Places orders until told to stop; a request that got no answer, or a 5xx, is sent again
    unchanged (same idempotency key) to the next server, as a client library retries."""

    def __init__(self, n: int, ports: list[int], stop: threading.Event) -> None:
        self.n, self.ports, self.stop = n, ports, stop
        self.rng = random.Random(n)
        self.accepted: list[Accepted] = []
        self.refused: list[tuple[int, str]] = []
        self.turn = n

    def _send(self, method: str, path: str, payload: Any, headers: dict[str, str]) -> Any:
        """The answer to a request retried until one comes (or 90 s pass): status, body."""
        body = json.dumps(payload).encode() if payload is not None else None
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        deadline = time.monotonic() + 90
        while True:
            self.turn += 1
            port = self.ports[self.turn % len(self.ports)]
            try:
                status, answer_headers, raw = _call(port, method, path, body, headers)
            except (OSError, http.client.HTTPException):
                status, answer_headers, raw = 599, {}, b""
            if status < 500 or time.monotonic() > deadline:
                return status, answer_headers, raw
            time.sleep(0.2)

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            self.order(i)

    def order(self, i: int) -> None:
        who = {"X-Forwarded-For": f"10.{self.n}.{i // 250}.{i % 250 + 1}"}
        status, _, raw = self._send("POST", "/api/v1/cart", {}, who)
        if status != 201:
            return
        cart = json.loads(raw)["token"]
        item = {"sku": self.rng.choice(SKUS), "quantity": self.rng.randint(1, 3)}
        status, _, _ = self._send("POST", f"/api/v1/cart/{cart}/items", item, who)
        if status not in (200, 201):
            return
        name = f"Fault Buyer {self.n}-{i}"
        delivery = {
            "country": "US", "name": name, "street_address": "1600 Amphitheatre Pkwy",
            "city": "Mountain View", "country_area": "CA", "postal_code": "94043",
            "email": f"fault.buyer.{self.n}.{i}@example.com",
        }  # fmt: skip
        body = {"cart": cart, "idempotency_key": secrets.token_urlsafe(16), "delivery": delivery}
        status, _, raw = self._send("POST", "/api/v1/checkout/orders", body, who)
        if status != 201:
            self.refused.append((status, raw.decode(errors="replace")[:200]))
            return
        placed = json.loads(raw)
        accepted = Accepted(number=placed["number"], name=name)
        self.accepted.append(accepted)
        if i % 2 == 0:
            accepted.paid_on_page = self.pay(placed["payment_url"], who)

    def pay(self, pay_url: str, who: dict[str, str]) -> bool:
        """Type the card on the processor's page; then come back to the store (or not: a
        shopper who closes the tab is paid by the store's reconciliation)."""
        form = urlencode(
            {
                "number": "4242 4242 4242 4242",
                "expiry": future_expiry(),
                "cvc": "123",
                "action": "pay",
            }
        )
        headers = {**who, "Content-Type": "application/x-www-form-urlencoded"}
        status, answer_headers, _ = self._send_form(urlsplit(pay_url).path, form, headers)
        if status != 303:
            return False
        if self.rng.random() < 0.7:
            back = urlsplit(answer_headers.get("Location", ""))
            self._send("GET", f"{back.path}?{back.query}", None, who)
        return True

    def _send_form(self, path: str, form: str, headers: dict[str, str]) -> Any:
        deadline = time.monotonic() + 90
        while True:
            self.turn += 1
            port = self.ports[self.turn % len(self.ports)]
            try:
                status, answer_headers, raw = _call(port, "POST", path, form.encode(), headers)
            except (OSError, http.client.HTTPException):
                status, answer_headers, raw = 599, {}, b""
            # A card form answered 409 was taken by an earlier attempt that got no answer.
            if status < 500 or time.monotonic() > deadline:
                return status, answer_headers, raw
            time.sleep(0.2)


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = lookout_cli(*args, env=env, timeout=timeout)
    assert done.returncode == 0, f"lookout {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _shell(env: dict[str, str], code: str) -> Any:
    """Run Python in a `lookout shell` of the deployment; the last line it prints, as JSON."""
    out = _cli(env, "shell", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


SETUP = f"""
from lookout.catalog.models import Product
from lookout.vault.crypto import create_data_keys
from lookout.vault.models import DataKey
import uuid, json
Product.objects.update(stock={STOCK})
create_data_keys(subjects=[uuid.uuid4() for _ in range({UNUSED_KEYS})], kind=DataKey.Kind.GUEST)
print(json.dumps(Product.objects.count()))
"""

KEYS_LEFT = """
import json
from lookout.vault.master import master_cache
from lookout.vault.models import DataKey
_, _, keys = master_cache.get()
print(json.dumps(DataKey.objects.exclude(master_key_id=keys.primary_wrap_key_id).count()))
"""

RECONCILE = """
import json
from datetime import timedelta
from django.utils import timezone
from lookout.orders.holds import reconcile_after, settle_waiting
print(json.dumps(settle_waiting(now=timezone.now() + reconcile_after() + timedelta(seconds=5))))
"""

FACTS = """
import json, sys
from django.db.models import Sum
from lookout.access.gate import reveal
from lookout.catalog.models import Product
from lookout.core.purposes import Purpose
from lookout.orders.models import Order, OrderLine, Status
numbers = json.loads(sys.stdin.read())
orders = {}
for number in numbers:
    found = list(Order.objects.filter(number=number))
    entry = {"count": len(found)}
    if len(found) == 1:
        order = found[0]
        entry["status"] = order.status
        try:
            shown = reveal(order.delivery, ["name"], purpose=Purpose.FULFILMENT, actor=None)
            entry["name"] = shown["name"]
        except Exception as error:
            entry["name"] = "cannot be opened: " + type(error).__name__
    orders[number] = entry
released = (Status.EXPIRED, Status.PAYMENT_FAILED, Status.CANCELLED)
held = dict(
    OrderLine.objects.exclude(order__status__in=released)
    .values_list("sku").annotate(n=Sum("quantity"))
)
stock = dict(Product.objects.values_list("sku", "stock"))
print(json.dumps({"orders": orders, "held": held, "stock": stock,
                  "all_orders": Order.objects.count()}))
"""


@pytest.fixture
def deployment() -> Iterator[dict[str, Any]]:
    cluster = PgCluster.create(database="lookout")
    redis = PrivateRedis()
    var_dir = Path(tempfile.mkdtemp(prefix="lookout-faults-"))
    units: list[Unit] = []
    try:
        cluster.execute('CREATE DATABASE "lookout_keys"', database="postgres")
        redis.start()
        env = clean_env(
            var_dir,
            LOOKOUT_ENV="development",
            LOOKOUT_DEBUG="0",
            LOOKOUT_LOG_LEVEL="WARNING",
            DATABASE_URL=cluster.url("lookout"),
            KEYSTORE_DATABASE_URL=cluster.url("lookout_keys"),
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            LOOKOUT_MASTER_KEY_FILE=str(var_dir / "master-keyset.json"),
            LOOKOUT_TRUSTED_PROXIES="127.0.0.1/32",
            LOOKOUT_TASK_TIMEOUT="20",
        )
        _cli(env, "shell", "-c", site_setup_code())  # one process: lookout.testing.sites
        _cli(env, "catalog", "import", str(REPO / "docs" / "examples" / "catalog.csv"))
        signed, expires = date.today() - timedelta(days=1), date.today() + timedelta(days=700)
        for name, kind in (
            ("Sandbox Card Processor", "payment_processor"),
            ("Parcel Co", "carrier"),
        ):
            _cli(env, "partners", "register", name, "--kind", kind)
            _cli(env, "partners", "agreement", name, "--signed", str(signed),
                 "--expires", str(expires), "--reference", f"DPA-{kind}")  # fmt: skip
        assert _shell(env, SETUP) >= len(SKUS)
        ports = [free_port(), free_port()]
        servers = [
            Unit(["serve", "--host", "127.0.0.1", "--port", str(p), "--threads", "4"], env)
            for p in ports
        ]
        workers = [Unit(["worker", "--with-scheduler"], env), Unit(["worker"], env)]
        units = [*servers, *workers]
        for unit in units:
            unit.start()
        for port in ports:
            _serving(port)
        yield {"env": env, "cluster": cluster, "redis": redis, "ports": ports,
               "servers": servers, "workers": workers}  # fmt: skip
    finally:
        for unit in units:
            unit.stop()
        redis.destroy()
        cluster.destroy()
        shutil.rmtree(var_dir, ignore_errors=True)


def test_nothing_a_shopper_was_told_is_lost_when_processes_die(deployment: dict[str, Any]) -> None:
    env, ports = deployment["env"], deployment["ports"]
    servers, workers = deployment["servers"], deployment["workers"]
    stop = threading.Event()
    shoppers = [Shopper(n, ports, stop) for n in range(SHOPPERS)]
    threads = [threading.Thread(target=s.run, daemon=True) for s in shoppers]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    def at(second: float) -> None:
        time.sleep(max(0.0, started + second - time.monotonic()))

    # kill -9 a server under load, and start it again at once on its port
    at(3)
    servers[0].kill()
    time.sleep(1)
    servers[0].start()
    _serving(ports[0])
    # rotate the master key; kill -9 both workers while the re-wrap runs; start them again
    at(7)
    _cli(env, "keys", "rotate")
    time.sleep(1.5)
    for worker in workers:
        worker.kill_all()
    time.sleep(1)
    for worker in workers:
        worker.start()
    # restart PostgreSQL under load
    at(12)
    deployment["cluster"].restart()
    # restart Redis under load
    at(17)
    deployment["redis"].restart()
    at(LOAD_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(120)

    accepted = [a for s in shoppers for a in s.accepted]
    refused = [r for s in shoppers for r in s.refused]
    assert len(accepted) >= 20, (len(accepted), refused[:5])
    # no checkout was refused for good: every one got its 201 in the end
    assert refused == []
    # no task lost: the re-wrap whose workers were killed finishes by itself (the restarted
    # scheduler hands back the job its dead worker left)
    deadline = time.monotonic() + 90
    while (left := _shell(env, KEYS_LEFT)) and time.monotonic() < deadline:
        time.sleep(3)
    logs = "".join(line for unit in workers for line in unit.log[-40:])
    assert left == 0, f"{left} data keys are still wrapped by the old master key:\n{logs}"
    # the store asks the processor about every waiting payment (the scheduler's minute job)
    _shell(env, RECONCILE)
    numbers = [a.number for a in accepted]
    done = subprocess.run(
        [sys.executable, "-m", "lookout.cli", "shell", "-c", FACTS],
        input=json.dumps(numbers), env=env, cwd=REPO, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    for a in accepted:
        entry = facts["orders"][a.number]
        # every order a shopper saw accepted exists once, and its personal data opens
        assert entry["count"] == 1, (a.number, entry)
        assert entry["name"] == a.name, (a.number, entry)
        # paid on the processor's page: paid, whether the shopper came back or not
        # (a card whose page answered nothing may have been taken: then it is paid too)
        if a.paid_on_page:
            assert entry["status"] == "paid", (a.number, entry)
        else:
            assert entry["status"] in ("placed", "paid"), (a.number, entry)
    # the stock matches the orders that hold it, to the unit
    for sku in SKUS:
        assert facts["stock"][sku] == STOCK - facts["held"].get(sku, 0), sku
    # and the audit log verifies
    _cli(env, "audit", "verify")
