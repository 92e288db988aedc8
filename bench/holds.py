"""Orders waiting for payment: reconciled or expired per second (issue 20, `orders.holds`).

    .venv/bin/python bench/holds.py [--orders 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/holds.py

Runs in a throwaway test database. Loads N orders placed 40 minutes ago and never settled, as
checkout leaves them (a guest key each, sealed delivery details, a reserved payment whose session
the sandbox processor holds): half were paid on the processor's page by buyers who never came
back, half are still open. Then runs `settle_waiting` once, as the scheduler's minute job does,
and prints orders decided per second of wall time and of the worker's CPU: each one asked of the
processor (in-process here: the processor's own work is counted too), then made paid, or its page
closed and the order expired with its stock back. Saved to var/bench/holds-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.test_settings")

import django

django.setup()

from django.db import connections, transaction
from django.test.utils import setup_test_environment
from django.utils import timezone

from lookout.catalog.models import Product
from lookout.orders.holds import settle_waiting
from lookout.orders.models import Delivery, Order, OrderLine, Status
from lookout.payments.models import Payment
from lookout.vault.crypto import KeyRing, Sealed, create_data_keys, seal
from lookout.vault.fields import encrypted_fields
from lookout.vault.models import DataKey
from sandbox_processor.cards import CardFacts, Outcome
from sandbox_processor.config import default_processor

STOCK = 1_000_000
ADDRESS = json.dumps(
    {
        "country_code": "US",
        "street_address": "1600 Amphitheatre Pkwy",
        "city": "MOUNTAIN VIEW",
        "country_area": "CA",
        "postal_code": "94043",
    }
)


def load(orders: int) -> Product:
    """N waiting orders and their processor sessions, written in bulk."""
    from lookout.catalog.tests.factories import product
    from lookout.orders.demo import ensure_partners
    from lookout.policies.initial import ensure_initial_versions

    ensure_partners()
    ensure_initial_versions()
    camera = product(stock=STOCK - orders)
    ring = KeyRing()
    guests = [uuid.uuid4() for _ in range(orders)]
    create_data_keys(subjects=guests, kind=DataKey.Kind.GUEST, keys=ring)
    sealed = encrypted_fields(Delivery)
    store = default_processor().store
    placed_at = timezone.now() - timedelta(minutes=40)
    chunk = 2000
    for start in range(0, orders, chunk):
        rows: dict[str, list] = {"orders": [], "lines": [], "deliveries": [], "payments": []}
        for n in range(start, min(start + chunk, orders)):
            subject = guests[n]
            order = Order(
                number=f"H{n:09d}", subject=subject, status=Status.PLACED,
                subtotal=Decimal("129.00"), total=Decimal("129.00"),
                idempotency_key=secrets.token_hex(16), placed_at=placed_at,
                payment_id=uuid.uuid4(),
            )  # fmt: skip
            delivery = Delivery(subject=subject, order=order, country="US")
            values = {"name": f"Buyer {n}", "address": ADDRESS, "phone": None,
                      "email": f"buyer.{n}@example.com"}  # fmt: skip
            for name, field in sealed.items():
                if values.get(name) is not None:
                    blob = seal(
                        subject=subject, plaintext=str(values[name]),
                        context=field.context(delivery), keys=ring,
                    )  # fmt: skip
                    setattr(delivery, field.attname, Sealed(blob))
            session, _ = store.create(
                idempotency_key=f"payment-{order.payment_id}", order_ref=str(order.id),
                amount_cents=12900, currency="USD", return_url="/checkout/return/x/",
                name_hint=None,
            )  # fmt: skip
            if n % 2 == 0:  # paid on the processor's page; the buyer never came back
                store.complete(
                    session["reference"],
                    CardFacts(outcome=Outcome.AUTHORIZED, brand="visa", last4="4242",
                              exp_month=12, exp_year=2039),
                )  # fmt: skip
            rows["orders"].append(order)
            rows["lines"].append(
                OrderLine(order=order, product_id=camera.pk, sku=camera.sku, name=camera.name,
                          unit_price=Decimal("129.00"), quantity=1, line_total=Decimal("129.00"))
            )  # fmt: skip
            rows["deliveries"].append(delivery)
            rows["payments"].append(
                Payment(id=order.payment_id, order_ref=order.id, amount=order.total,
                        idempotency_key=f"order:{order.id}",
                        processor_reference=session["reference"], redirect_url="/pay/x")
            )  # fmt: skip
        with transaction.atomic():
            Order.objects.bulk_create(rows["orders"], batch_size=1000)
            OrderLine.objects.bulk_create(rows["lines"], batch_size=1000)
            Delivery.objects.bulk_create(rows["deliveries"], batch_size=1000)
            Payment.objects.bulk_create(rows["payments"], batch_size=1000)
    return camera


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()
    setup_test_environment()
    olds = [
        (alias, connections[alias].creation.create_test_db(verbosity=0, autoclobber=True))
        for alias in ("default", "keystore")
    ]
    try:
        vendor = connections["default"].vendor
        started = time.perf_counter()
        camera = load(args.orders)
        print(f"loaded {args.orders:,} waiting orders in {time.perf_counter() - started:.1f} s")
        wall, cpu = time.perf_counter(), time.process_time()
        outcomes = settle_waiting(limit=args.orders)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        decided = outcomes["paid"] + outcomes["expired"]
        assert decided == args.orders, outcomes
        assert Product.objects.get(pk=camera.pk).stock == STOCK - outcomes["paid"]
        print(f"holds on {vendor}: {dict(outcomes)}")
        print(f"  {decided / wall:,.0f} orders/s of wall time ({wall:.2f} s)")
        print(f"  {decided / cpu:,.0f} orders/s of worker CPU time ({cpu:.2f} s)")
        out = ROOT / "var" / "bench" / f"holds-{vendor}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "database": vendor,
            "orders": decided,
            "outcomes": dict(outcomes),
            "wall_s": round(wall, 3),
            "worker_cpu_s": round(cpu, 3),
            "orders_per_s_wall": round(decided / wall),
            "orders_per_s_worker_cpu": round(decided / cpu),
        }
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"saved {out.relative_to(ROOT)}")
    finally:
        for alias, old in olds:
            connections[alias].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
