"""Beacon ingestion throughput: analytics events stored per second, printed.

    .venv/bin/python bench/analytics.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/analytics.py

Runs in a throwaway test database. Two figures: the ingestion service alone (anonymise, hash,
one bulk insert per beacon) and the whole HTTP endpoint through Django's request handling.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.test_settings")

import django

django.setup()

from django.db import connections
from django.test import Client
from django.test.utils import setup_test_environment

from lookout.analytics import services
from lookout.analytics.models import Event

UAS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0",
]
BATCH = [
    {"kind": "view", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "ref": "http://x/c/a/"},
    {"kind": "search", "path": "/search/", "q": "thermal camera", "results": 0},
    {"kind": "dwell", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "seconds": 42},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beacons", type=int, default=3000)
    args = parser.parse_args()
    setup_test_environment()
    old = connections["default"].creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        vendor = connections["default"].vendor
        start = time.perf_counter()
        for i in range(args.beacons):
            services.ingest(
                payload={"events": BATCH},
                ip=f"203.0.{i % 250}.{i % 200 + 1}",
                user_agent=UAS[i % len(UAS)],
                host="bench",
            )
        service_rate = args.beacons * len(BATCH) / (time.perf_counter() - start)
        client = Client()
        body = json.dumps({"events": BATCH})
        start = time.perf_counter()
        for i in range(args.beacons):
            response = client.post(
                "/analytics/beacon",
                body,
                content_type="text/plain",
                REMOTE_ADDR=f"198.51.{i % 250}.{i % 200 + 1}",
                HTTP_USER_AGENT=UAS[i % len(UAS)],
            )
            assert response.status_code == 204, response.content
        http_rate = args.beacons * len(BATCH) / (time.perf_counter() - start)
        assert Event.objects.count() == 2 * args.beacons * len(BATCH)
        print(f"analytics ingestion on {vendor}, {args.beacons} beacons x {len(BATCH)} events")
        print(f"  service (anonymise + bulk insert): {service_rate:,.0f} events/s")
        print(f"  HTTP endpoint /analytics/beacon:   {http_rate:,.0f} events/s")
    finally:
        connections["default"].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
