"""Instructions the Python process executes per checkout: a repeatable count for comparing two
versions of the code on a machine whose timings swing (decision 0023).

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
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import callgrind
from bench.common import postgres_url, prepare, throwaway_env

WARM_UP = 30


def _child(orders: int, signals: Path) -> None:
    """In the process under callgrind: prepare carts, warm up, then the counted orders."""
    import django

    django.setup()
    from django.test import Client

    from bench.checkout import buyer
    from lookout.cart.services import add_to_cart, open_cart
    from lookout.catalog.models import Product
    from lookout.orders.testing import partners as _partners  # noqa: F401 fixture module

    Product.objects.update(stock=1_000_000)
    # a product with variants is not sold itself: its variants are (decision 0046)
    skus = list(Product.objects.exclude(structure="parent").values_list("sku", flat=True))
    tokens = []
    for i in range(orders + WARM_UP):
        cart, token = open_cart()
        add_to_cart(cart=cart, sku=skus[i % len(skus)], quantity=1)
        tokens.append(token)
    client = Client()

    def checkout(i: int, token: str) -> None:
        delivery, address = buyer(i)
        body = {"cart": token, "idempotency_key": secrets.token_urlsafe(12), "delivery": delivery}
        response = client.post(
            "/api/v1/checkout/orders", body, "application/json", REMOTE_ADDR=address
        )
        assert response.status_code == 201, response.content

    for i, token in enumerate(tokens[:WARM_UP]):
        checkout(i, token)
    callgrind.ready(signals)
    for i, token in enumerate(tokens[WARM_UP:], start=WARM_UP):
        checkout(i, token)
    callgrind.done(signals)


def measure(orders: int, *, postgres: str) -> int:
    with throwaway_env(postgres=postgres) as env:
        prepare(env)
        return callgrind.count([sys.executable, __file__, "--child", str(orders)], env) // orders


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
