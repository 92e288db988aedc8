"""Search on 10,000 products: p50/p99 of the search service and of the whole (uncached) search
page through Django's request handling. Target: p99 < 50 ms.

Run alone: .venv/bin/python bench/search.py [--products 10000]   (a throwaway SQLite database
under a temp dir, or DATABASE_URL's server: bench/run.py gives it a fresh database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LOOKOUT_ENV", "development")
os.environ.setdefault("LOOKOUT_DEBUG", "0")
if "DATABASE_URL" not in os.environ and "LOOKOUT_VAR_DIR" not in os.environ:
    os.environ["LOOKOUT_VAR_DIR"] = tempfile.mkdtemp(prefix="lookout-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from bench.common import percentile

BRANDS = ["Kestrel", "Argus", "Nightjar", "Halo", "Vireo", "Osprey", "Lumen", "Sentry", "Wren"]
LINES = ["Outdoor", "Indoor", "Doorbell", "Floodlight", "PanTilt", "Solar", "Mini", "Dome"]
QUERIES = [
    "kestrel", "outdoor 4k", "doorbell", "solar battery", "night vision", "argus dome",
    "floodlight 2k", "indoor pan", "wifi camera", "poe", "halo mini", "osprey solar outdoor",
    "lumen", "kestrl", "camra", "sentry doorbell 1080", "weatherproof ip66", "zzzz",
]  # fmt: skip


def generate(count: int) -> None:
    from lookout.catalog.models import Placement, Power, Product, Storage
    from lookout.catalog.services import reindex_catalog, upsert_category

    rng = random.Random(7)
    categories = [
        upsert_category(slug=f"bench-{n}", name=f"Bench {n}", position=n) for n in range(8)
    ]
    rows = []
    for n in range(count):
        brand, line = rng.choice(BRANDS), rng.choice(LINES)
        price = Decimal(rng.randint(20, 400))
        rows.append(
            Product(
                sku=f"B-{n:05d}",
                slug=f"bench-{n}",
                name=f"{brand} {line} {rng.choice(['S', 'X', 'Pro', 'Go'])}{n % 10}",
                brand=brand,
                category=categories[n % len(categories)],
                summary=f"{line} camera by {brand}",
                list_price=price + 10,
                price=price,
                stock=rng.randint(0, 50),
                released_on=date(2024, n % 12 + 1, n % 28 + 1),
                resolution=rng.choice([1080, 1440, 2160]),
                field_of_view=rng.choice([110, 130, 160]),
                night_vision=rng.choice(["Infrared, 10 m", "Colour, 8 m", ""]),
                power=rng.choice(list(Power)),
                storage=rng.choice(list(Storage)),
                connectivity=rng.choice(["Wi-Fi 2.4 GHz", "Wi-Fi 6", "PoE"]),
                weatherproof=rng.choice(["IP65", "IP66", ""]),
                placement=rng.choice(list(Placement)),
            )
        )
    Product.objects.bulk_create(rows, batch_size=1000)
    reindex_catalog()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from lookout.catalog.search import search_products
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="keystore", verbosity=0)
    call_command("createcachetable", verbosity=0)
    start = time.perf_counter()
    generate(args.products)
    print(f"  {connection.vendor}: generated {args.products} products in "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    service, page = [], []
    client = Client()
    with override_settings(LOOKOUT_PAGE_CACHE=False):
        for q in QUERIES:  # warm up
            search_products(query=q)
            client.get("/search/", {"q": q})
        for _ in range(args.rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                result = search_products(query=q)
                len(result.products)
                service.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                response = client.get("/search/", {"q": q})
                page.append(time.perf_counter() - t0)
                assert response.status_code == 200
    out = {"database": connection.vendor, "products": args.products}
    for name, samples in (("service", service), ("page_uncached", page)):
        p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
        out[name] = {"n": len(samples), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
        verdict = "MET" if p99 < 50 else "MISSED"
        print(f"  {connection.vendor:8} search {name:14} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
              f"  (target p99 < 50 ms) {verdict}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
