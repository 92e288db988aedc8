"""Instructions the Python process executes per checkout: a repeatable count for comparing two
versions of the code on a machine whose timings swing (decision 0023, sixth addendum).

Checkout runs in one process through Django's full request handling (as `bench/checkout.py
--profile-here` does) under `valgrind --tool=callgrind`, with counting switched on only around
the measured orders (`callgrind_control`), so start-up, migrations and the demo catalog are not
counted. PostgreSQL's own work is not counted: it runs in its own processes. The same code gives
the same count to within a few hundredths of a percent, whatever else the machine is doing.

Run: .venv/bin/python bench/checkout_instructions.py [--orders 60] [--sqlite]
Needs valgrind (Debian package `valgrind`); takes about a minute and a half.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, postgres_url, prepare, throwaway_env

WARM_UP = 30


def _child(orders: int, signals: Path) -> None:
    """In the process under callgrind: prepare carts, warm up, then the counted orders."""
    import django

    django.setup()
    from django.test import Client

    from bench.checkout import DELIVERY
    from lookout.cart.services import add_to_cart, open_cart
    from lookout.catalog.models import Product
    from lookout.orders.testing import partners as _partners  # noqa: F401 fixture module

    Product.objects.update(stock=1_000_000)
    skus = list(Product.objects.values_list("sku", flat=True))
    tokens = []
    for i in range(orders + WARM_UP):
        cart, token = open_cart()
        add_to_cart(cart=cart, sku=skus[i % len(skus)], quantity=1)
        tokens.append(token)
    client = Client()

    def checkout(token: str) -> None:
        body = {"cart": token, "idempotency_key": secrets.token_urlsafe(12), "delivery": DELIVERY}
        response = client.post("/api/v1/checkout/orders", body, "application/json")
        assert response.status_code == 201, response.content

    for token in tokens[:WARM_UP]:
        checkout(token)
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.1)
    for token in tokens[WARM_UP:]:
        checkout(token)
    (signals / "done").touch()
    while not (signals / "stop").exists():
        time.sleep(0.1)


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    while not path.exists():
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr else ""
            raise SystemExit(f"the checkout process stopped early:\n{errors[-3000:]}")
        time.sleep(0.2)


def measure(orders: int, *, postgres: str) -> int:
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with throwaway_env(postgres=postgres) as env, tempfile.TemporaryDirectory() as tmp:
        prepare(env)
        signals = Path(tmp)
        out = signals / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--child", str(orders), "--signals", tmp],
            env={**env, "PYTHONHASHSEED": "0"}, cwd=ROOT, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _wait_for(signals / "ready", process)
        subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                       capture_output=True)  # fmt: skip
        (signals / "go").touch()
        _wait_for(signals / "done", process)
        subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True,
                       capture_output=True)  # fmt: skip
        (signals / "stop").touch()
        process.wait(timeout=600)
        totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
        if totals is None:
            raise SystemExit("callgrind wrote no totals")
        return int(totals.group(1)) // orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--sqlite", action="store_true", help="the embedded database instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--signals", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.signals)
        return
    postgres = "" if args.sqlite else postgres_url()
    if not args.sqlite and not postgres:
        raise SystemExit("PostgreSQL is not reachable; pass --sqlite for the embedded database")
    per_order = measure(args.orders, postgres=postgres)
    label = "sqlite" if args.sqlite else "postgres"
    print(f"  {label:8} checkout: {per_order / 1e6:.2f} million instructions per order "
          f"(Python process, {args.orders} orders after {WARM_UP} warm-up)")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")
    main()
