"""Retention throughput: expired orders anonymized per second of worker time (C4.6).

    .venv/bin/python bench/retention.py [--orders 50000] [--batch 5000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/retention.py

Runs in a throwaway test database. Loads N delivered orders finished before the retention
period (half of them guest orders, each guest with their own data key, as checkout makes them;
the rest spread over a hundred customers), each with sealed delivery details and a card payment,
then runs the rule `orders.delivery_personal_data` once and prints orders anonymized per second:
per second of wall time, and per second of the worker's own CPU time. Target (issue 10): at
least 50,000 per second of worker time. Figures are saved to var/bench/retention-<db>.json.
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

from lookout.core.inventory import ORDER_RETENTION
from lookout.orders.models import Delivery, Order, Status
from lookout.payments.models import Payment
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.vault.crypto import KeyRing, Sealed, create_data_keys, seal
from lookout.vault.fields import encrypted_fields
from lookout.vault.models import DataKey

ADDRESS = json.dumps(
    {
        "country_code": "US",
        "street_address": "1600 Amphitheatre Pkwy",
        "city": "MOUNTAIN VIEW",
        "country_area": "CA",
        "postal_code": "94043",
    }
)
CUSTOMERS = 100


def load(orders: int) -> None:
    """Bulk-load the history: rows as checkout leaves them, sealed under each buyer's key."""
    from lookout.accounts.services import create_account

    ring = KeyRing()
    users = [
        create_account(email=f"customer.{n}@example.com", password=None) for n in range(CUSTOMERS)
    ]
    ring.load(u.subject for u in users)
    guests = [uuid.uuid4() for _ in range((orders + 1) // 2)]
    create_data_keys(subjects=guests, kind=DataKey.Kind.GUEST, keys=ring)
    sealed = encrypted_fields(Delivery)
    long_ago = timezone.now() - ORDER_RETENTION.period - timedelta(days=30)
    chunk = 5000
    for start in range(0, orders, chunk):
        batch_orders, batch_deliveries, batch_payments = [], [], []
        for n in range(start, min(start + chunk, orders)):
            guest = n % 2 == 0
            user = None if guest else users[n % CUSTOMERS]
            subject = guests[n // 2] if user is None else user.subject
            order = Order(
                number=f"B{n:09d}",
                subject=subject,
                user=user,
                status=Status.DELIVERED,
                subtotal=Decimal("129.00"),
                total=Decimal("129.00"),
                idempotency_key=secrets.token_hex(16),
                placed_at=long_ago - timedelta(days=5),
                paid_at=long_ago - timedelta(days=5),
                shipped_at=long_ago - timedelta(days=3),
                delivered_at=long_ago,
            )
            delivery = Delivery(subject=subject, order=order, country="US")
            values = {
                "name": "Ada Lovelace",
                "address": ADDRESS,
                "phone": "+16505550123",
                "email": "guest.buyer@example.com" if guest else None,
            }
            for name, field in sealed.items():
                plaintext = values[name]
                if plaintext is not None:
                    blob = seal(
                        subject=subject,
                        plaintext=plaintext,
                        context=field.context(delivery),
                        keys=ring,
                    )
                    setattr(delivery, field.attname, Sealed(blob))
            delivery.email_index = secrets.token_hex(32) if guest else ""
            batch_orders.append(order)
            batch_deliveries.append(delivery)
            batch_payments.append(
                Payment(
                    order_ref=order.id,
                    amount=order.total,
                    status=Payment.Status.CAPTURED,
                    processor_token=f"tok_{secrets.token_hex(6)}",
                    brand="visa",
                    last4="4242",
                    exp_month=12,
                    exp_year=2034,
                    idempotency_key=secrets.token_hex(16),
                )
            )
        with transaction.atomic():
            Order.objects.bulk_create(batch_orders, batch_size=1000)
            Delivery.objects.bulk_create(batch_deliveries, batch_size=1000)
            Payment.objects.bulk_create(batch_payments, batch_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=None, help="rows per batch (rule default)")
    args = parser.parse_args()
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()  # a fresh var dir (`make bench`'s throwaway one) has none yet
    setup_test_environment()
    olds = [
        (alias, connections[alias].creation.create_test_db(verbosity=0, autoclobber=True))
        for alias in ("default", "keystore")
    ]
    try:
        vendor = connections["default"].vendor
        start = time.perf_counter()
        load(args.orders)
        print(f"loaded {args.orders:,} expired orders in {time.perf_counter() - start:.1f} s")
        rule = rule_named("orders.delivery_personal_data")
        extra = {"batch_size": args.batch} if args.batch else {}
        wall, cpu = time.perf_counter(), time.process_time()
        run = run_rule(rule=rule, **extra)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert run.processed == args.orders, run.processed
        assert not Delivery.objects.exclude(email_index="").exists()
        assert DataKey.objects.filter(kind=DataKey.Kind.GUEST).count() == 0
        assert DataKey.objects.filter(kind=DataKey.Kind.CUSTOMER).count() == CUSTOMERS
        print(f"retention on {vendor}: {run.processed:,} orders in {run.batches} batches")
        print(f"  {run.processed / wall:,.0f} orders/s of wall time ({wall:.2f} s)")
        print(f"  {run.processed / cpu:,.0f} orders/s of worker CPU time ({cpu:.2f} s)")
        print("  target: at least 50,000 orders/s of worker time")
        out = ROOT / "var" / "bench" / f"retention-{vendor}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "database": vendor,
            "orders": run.processed,
            "batches": run.batches,
            "wall_s": round(wall, 3),
            "worker_cpu_s": round(cpu, 3),
            "orders_per_s_wall": round(run.processed / wall),
            "orders_per_s_worker_cpu": round(run.processed / cpu),
            "target_orders_per_s": 50_000,
        }
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"saved {out.relative_to(ROOT)}")
    finally:
        for alias, old in olds:
            connections[alias].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
