"""Instructions the Python process executes per access file of a customer with 1,000 orders: a
repeatable count for comparing two versions of the code on a machine whose timings swing
(decision 0025); the counting itself is `bench/callgrind.py`.

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
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import callgrind
from bench.common import ROOT, customer_with_orders, postgres_url, prepare, throwaway_env

WARM_UP = 2


def _customer(orders: int) -> str:
    """In the first process: a customer with `orders` orders; returns their subject."""
    import django

    django.setup()
    return str(customer_with_orders(orders).subject)


def _child(subject: str, builds: int, signals: Path) -> None:
    """In the process under callgrind: warm up, then the counted builds."""
    import uuid

    import django

    django.setup()
    from lookout.privacy.access_file import build_document

    person = uuid.UUID(subject)
    for _ in range(WARM_UP):
        build_document(subject=person)
    callgrind.ready(signals)
    for _ in range(builds):
        build_document(subject=person)
    callgrind.done(signals)


def measure(orders: int, builds: int, *, postgres: str) -> int:
    with throwaway_env(postgres=postgres) as env:
        prepare(env, demo=False)
        made = subprocess.run(
            [sys.executable, __file__, "--customer", str(orders)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if made.returncode:
            raise SystemExit(f"making the customer failed:\n{made.stderr[-3000:]}")
        subject = made.stdout.strip().splitlines()[-1]
        command = [sys.executable, __file__, "--child", subject, "--builds", str(builds)]
        return callgrind.count(command, env) // builds


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
