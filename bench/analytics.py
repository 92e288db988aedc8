"""Beacon ingestion throughput: analytics events stored per second, printed.

    .venv/bin/python bench/analytics.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/analytics.py

Runs in a throwaway test database. Two figures: the ingestion service alone (anonymise, hash,
one bulk insert and one commit per beacon) and the whole HTTP endpoint through Django's request
handling. `--events` sets the events per beacon (the site's script sends 1 to 3; the endpoint
takes up to 20), `--threads` runs the service from several threads at once, as several server
workers would (each beacon is still its own transaction: nothing is buffered in memory, so a
crash loses no accepted event). Target (issue 10): at least 5,000 events/s. Figures are saved to
var/bench/analytics-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
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
EVENTS = [
    {"kind": "view", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "ref": "http://x/c/a/"},
    {"kind": "search", "path": "/search/", "q": "thermal camera", "results": 0},
    {"kind": "dwell", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "seconds": 42},
]


def ingest_range(first: int, last: int, batch: list[dict[str, object]]) -> None:
    try:
        for i in range(first, last):
            services.ingest(
                payload={"events": batch},
                ip=f"203.0.{i % 250}.{i % 200 + 1}",
                user_agent=UAS[i % len(UAS)],
                host="bench",
            )
    finally:
        connections.close_all()  # this thread's connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beacons", type=int, default=3000)
    parser.add_argument("--events", type=int, default=3, help="events per beacon (1-20)")
    parser.add_argument("--threads", type=int, default=1, help="concurrent ingesting threads")
    args = parser.parse_args()
    batch = [EVENTS[i % len(EVENTS)] for i in range(args.events)]
    setup_test_environment()
    old = connections["default"].creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        vendor = connections["default"].vendor
        services.ingest(payload={"events": batch}, ip="203.0.113.9", user_agent=UAS[0], host="b")
        Event.objects.all().delete()  # warm-up: today's salt, the user-agent parser
        per = args.beacons // args.threads
        threads = [
            threading.Thread(target=ingest_range, args=(t * per, (t + 1) * per, batch))
            for t in range(args.threads)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        service_rate = per * args.threads * len(batch) / (time.perf_counter() - start)
        client = Client()
        body = json.dumps({"events": batch})
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
        http_rate = args.beacons * len(batch) / (time.perf_counter() - start)
        assert Event.objects.count() == (per * args.threads + args.beacons) * len(batch)
        print(
            f"analytics ingestion on {vendor}, {args.beacons} beacons x {len(batch)} events, "
            f"{args.threads} thread(s)"
        )
        print(f"  service (anonymise + bulk insert): {service_rate:,.0f} events/s  target 5,000")
        print(f"  HTTP endpoint /analytics/beacon:   {http_rate:,.0f} events/s (1 thread)")
        out = ROOT / "var" / "bench" / f"analytics-{vendor}-{len(batch)}ev-{args.threads}t.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "database": vendor,
            "beacons": args.beacons,
            "events_per_beacon": len(batch),
            "threads": args.threads,
            "service_events_per_s": round(service_rate),
            "http_events_per_s": round(http_rate),
            "target_events_per_s": 5000,
        }
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"saved {out.relative_to(ROOT)}")
    finally:
        connections["default"].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
