"""Beacon ingestion throughput: analytics events stored per second, printed.

    .venv/bin/python bench/analytics.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/analytics.py

Runs in a throwaway test database. Three figures, each counted until every event is in the
database: the ingestion service alone (anonymise, hash, store) writing one INSERT per beacon,
the same service with batched writes (lookout/analytics/buffer.py, the production default: a
background thread writes what arrived in the last quarter second with one INSERT), and the
whole HTTP endpoint through Django's request handling (batched). Target (issue 10): at least
5,000 events/s.

By default the beacons are what lookout/static/lookout/analytics.js really sends since it
batches a page's events (decision 0022): one beacon per page visit, cycling through SITE_MIX
(a category page's view; a product page's view + dwell; a search page's view + search; a
product page's view + add-to-cart, sent before the cart POST, then its dwell alone at pagehide)
-- 1.6 events per beacon on average. Batching cannot make beacons much bigger: a page visit has
1 to 3 events, and events never wait in the browser beyond the page (no web storage). Before
batching the script sent 1 to 2 events per beacon. `--events N` sends N events in every beacon
instead (the endpoint takes up to 20), to compare with older figures (the old default was 3).

`--threads` runs the service from several threads at once, as a server worker's threads do
(they share the process's buffer). Figures are saved to
var/bench/analytics-<db>-<events>ev-<threads>t.json.
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

from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import setup_test_environment

from lookout.analytics import buffer, services
from lookout.analytics.models import Event

UAS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0",
]
VIEW_CATEGORY = {"kind": "view", "path": "/c/outdoor-cameras/", "ref": "http://x/"}
VIEW_PRODUCT = {
    "kind": "view",
    "path": "/p/kestrel-outdoor-2k/",
    "sku": "KS-0001",
    "ref": "http://x/c/a/",
}
VIEW_SEARCH = {"kind": "view", "path": "/search/", "ref": "http://x/p/kestrel-outdoor-2k/"}
SEARCH = {"kind": "search", "path": "/search/", "q": "thermal camera", "results": 0}
DWELL = {"kind": "dwell", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "seconds": 42}
CART_ADD = {"kind": "cart_add", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001"}
SITE_MIX = [
    [VIEW_CATEGORY],
    [VIEW_PRODUCT, DWELL],
    [VIEW_SEARCH, SEARCH],
    [VIEW_PRODUCT, CART_ADD],
    [DWELL],
]
EVENTS = [
    {"kind": "view", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "ref": "http://x/c/a/"},
    {"kind": "search", "path": "/search/", "q": "thermal camera", "results": 0},
    {"kind": "dwell", "path": "/p/kestrel-outdoor-2k/", "sku": "KS-0001", "seconds": 42},
]


def ingest_range(first: int, last: int, batches: list[list[dict[str, object]]]) -> None:
    try:
        for i in range(first, last):
            services.ingest(
                payload={"events": batches[i % len(batches)]},
                ip=f"203.0.{i % 250}.{i % 200 + 1}",
                user_agent=UAS[i % len(UAS)],
                host="bench",
            )
    finally:
        connections.close_all()  # this thread's connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beacons", type=int, default=3000)
    parser.add_argument(
        "--events", type=int, default=0, help="events per beacon (1-20); default: SITE_MIX"
    )
    parser.add_argument("--threads", type=int, default=1, help="concurrent ingesting threads")
    parser.add_argument(
        "--flush-seconds", type=float, default=0.25, help="the buffer's wait (production: 0.25)"
    )
    args = parser.parse_args()
    if args.events:
        batches = [[EVENTS[i % len(EVENTS)] for i in range(args.events)]]
        label = str(args.events)
    else:
        batches = SITE_MIX
        label = "site"

    def events_in(first: int, last: int) -> int:
        return sum(len(batches[i % len(batches)]) for i in range(first, last))

    setup_test_environment()
    old = connections["default"].creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        vendor = connections["default"].vendor
        for batch in batches:
            services.ingest(
                payload={"events": batch}, ip="203.0.113.9", user_agent=UAS[0], host="b"
            )
        # Warm-up (today's salt, the user-agent parser), written out before it is cleared: under
        # the development profile (`make bench`) the buffer holds it for a quarter second.
        buffer.event_buffer().flush()
        Event.objects.all().delete()
        per = args.beacons // args.threads
        service_events = sum(events_in(t * per, (t + 1) * per) for t in range(args.threads))
        rates = {}
        for mode, seconds in (("per_beacon", 0.0), ("batched", args.flush_seconds)):
            # Each mode until every event is in the database: the batched mode's clock stops
            # only after the buffer's last batch is written.
            settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = seconds
            Event.objects.all().delete()
            threads = [
                threading.Thread(target=ingest_range, args=(t * per, (t + 1) * per, batches))
                for t in range(args.threads)
            ]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            buffer.event_buffer().flush()
            rates[mode] = service_events / (time.perf_counter() - start)
            assert Event.objects.count() == service_events, (mode, Event.objects.count())
        service_rate = rates["batched"]
        client = Client()
        bodies = [json.dumps({"events": batch}) for batch in batches]
        start = time.perf_counter()
        for i in range(args.beacons):
            response = client.post(
                "/analytics/beacon",
                bodies[i % len(bodies)],
                content_type="text/plain",
                REMOTE_ADDR=f"198.51.{i % 250}.{i % 200 + 1}",
                HTTP_USER_AGENT=UAS[i % len(UAS)],
            )
            assert response.status_code == 204, response.content
        http_events = events_in(0, args.beacons)
        http_rate = http_events / (time.perf_counter() - start)
        buffer.event_buffer().flush()
        assert Event.objects.count() == service_events + http_events
        per_beacon = http_events / args.beacons
        print(
            f"analytics ingestion on {vendor}, {args.beacons} beacons x {per_beacon:.1f} events "
            f"({'site mix' if label == 'site' else 'fixed'}), {args.threads} thread(s)"
        )
        verdict = "MET" if service_rate >= 5000 else "MISSED"
        print(f"  service, one INSERT per beacon:    {rates['per_beacon']:,.0f} events/s")
        print(
            f"  service, batched ({args.flush_seconds} s):      {service_rate:,.0f} events/s  "
            f"target 5,000 {verdict}"
        )
        print(f"  HTTP endpoint /analytics/beacon:   {http_rate:,.0f} events/s (1 thread, batched)")
        out = ROOT / "var" / "bench" / f"analytics-{vendor}-{label}ev-{args.threads}t.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "database": vendor,
            "beacons": args.beacons,
            "events_per_beacon": round(per_beacon, 2),
            "mix": label,
            "threads": args.threads,
            "service_events_per_s": round(service_rate),
            "service_events_per_s_one_insert_per_beacon": round(rates["per_beacon"]),
            "flush_seconds": args.flush_seconds,
            "http_events_per_s": round(http_rate),
            "target_events_per_s": 5000,
        }
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"saved {out.relative_to(ROOT)}")
    finally:
        connections["default"].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
