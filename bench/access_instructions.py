"""Instructions the Python process executes per access file of a customer with 1,000 orders: a
repeatable count for comparing two versions of the code on a machine whose timings swing
(decision 0025, addendum of 2026-11-26).

The customer and their orders are made in a throwaway store by a first process; a second one,
under `valgrind --tool=callgrind`, builds the file a few times with counting switched on only
around the measured builds (`callgrind_control`). The database server's own work is not counted:
it runs in its own processes. The same code gives the same count to within a few tenths of a
percent, whatever else the machine is doing.

Run: .venv/bin/python bench/access_instructions.py [--orders 1000] [--builds 3] [--sqlite]
Needs valgrind (Debian package `valgrind`); takes about two minutes.
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

WARM_UP = 2


def _customer(orders: int) -> str:
    """In the first process: a customer with `orders` orders; returns their subject."""
    import django

    django.setup()
    from lookout.accounts.services import create_account
    from lookout.catalog.tests.factories import product
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart
    from lookout.policies.initial import ensure_initial_versions

    ensure_initial_versions()
    user = create_account(email="bench.access@example.com", password="bench-passphrase-1")
    item = product(stock=orders * 2)
    for _ in range(orders):
        cart, _ = make_cart(item)
        place_order(
            cart=cart,
            delivery=details(email=None),
            idempotency_key=secrets.token_urlsafe(16),
            user=user,
        )
    return str(user.subject)


def _child(subject: str, builds: int, signals: Path) -> None:
    """In the process under callgrind: warm up, then the counted builds."""
    import uuid

    import django

    django.setup()
    from lookout.privacy.access_file import build_document

    person = uuid.UUID(subject)
    for _ in range(WARM_UP):
        build_document(subject=person)
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.1)
    for _ in range(builds):
        build_document(subject=person)
    (signals / "done").touch()
    while not (signals / "stop").exists():
        time.sleep(0.1)


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    while not path.exists():
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr else ""
            raise SystemExit(f"the access file process stopped early:\n{errors[-3000:]}")
        time.sleep(0.2)


def measure(orders: int, builds: int, *, postgres: str) -> int:
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with throwaway_env(postgres=postgres) as env, tempfile.TemporaryDirectory() as tmp:
        prepare(env, demo=False)
        made = subprocess.run(
            [sys.executable, __file__, "--customer", str(orders)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if made.returncode:
            raise SystemExit(f"making the customer failed:\n{made.stderr[-3000:]}")
        subject = made.stdout.strip().splitlines()[-1]
        signals = Path(tmp)
        out = signals / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--child", subject, "--builds", str(builds),
             "--signals", tmp],
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
        return int(totals.group(1)) // builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="the embedded database instead")
    parser.add_argument("--customer", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--signals", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.customer:
        print(_customer(args.customer))
        return
    if args.child:
        _child(args.child, args.builds, args.signals)
        return
    postgres = "" if args.sqlite else postgres_url()
    if not args.sqlite and not postgres:
        raise SystemExit("PostgreSQL is not reachable; pass --sqlite for the embedded database")
    per_build = measure(args.orders, args.builds, postgres=postgres)
    label = "sqlite" if args.sqlite else "postgres"
    print(
        f"  {label:8} access file, {args.orders} orders: {per_build / 1e6:.1f} million "
        f"instructions per build (Python process, {args.builds} builds after {WARM_UP})"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")
    main()
