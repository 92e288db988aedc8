"""Breach blast radius over a million audit entries (issue 26, C4.8).

    .venv/bin/python bench/breach.py [--entries 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lookout .venv/bin/python bench/breach.py

Runs in a throwaway test database. Writes N audit entries in one statement inside the database
(generate_series on PostgreSQL, a recursive CTE on SQLite): 200 staff accounts in five roles
reading 100,000 people's fields over 30 days, one entry in ten some other action, finance's
reads masked. The entries are not hash-chained (the chain is not what is measured; `lookout
audit verify` would reject them). The log is then vacuumed, as autovacuum would have left a
month-old log. Then records incidents through the real service
(`lookout.incidents.services.record_incident`, which computes the blast radius) and prints the
wall time of each: one staff account over the 30 days, one role over the 30 days and over one
day, and a compromised host over one day. Target: under 5 s each on PostgreSQL. Figures are
saved to var/bench/breach-<db>.json. Prints; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.test_settings")

import django

django.setup()

from django.db import connection, connections
from django.test.utils import setup_test_environment
from django.utils import timezone

STAFF = 200
PEOPLE = 100_000
DAYS = 30
ROLES = ["warehouse", "after_sales", "finance", "privacy_officer", "administrator"]

# Entry i: actor i % 200 (role (i % 200) % 5), person (i * 7919) % 100,000, at start + i/N of
# 30 days; one in ten is not a read; fields by i % 3; finance (role index 2) reads masked.
_PG = """
INSERT INTO audit_auditentry
  (at, actor_ref, actor_role, action, subject_ref, fields, purpose, outcome, target, detail,
   prev_hash, hash)
SELECT %(start)s + (i::float8 / %(n)s) * interval '{days} days',
       ('00000000-0000-4000-a000-' || lpad(to_hex(i %% {staff}), 12, '0')),
       (ARRAY{roles})[(i %% {staff}) %% 5 + 1],
       CASE WHEN i %% 10 = 0 THEN 'order.shipped' ELSE 'reveal' END,
       (lpad(to_hex((i::bigint * 7919) %% {people}), 8, '0') || '-0000-4000-8000-000000000000'),
       CASE i %% 3 WHEN 0 THEN '["accounts.User.email"]'::jsonb
                  WHEN 1 THEN '["orders.Delivery.name", "orders.Delivery.phone"]'::jsonb
                  ELSE '["orders.Delivery.address"]'::jsonb END,
       'after_sales', 'granted', '',
       CASE WHEN (i %% {staff}) %% 5 = 2 THEN '{{"masked": "accounts.User.email"}}'::jsonb
            ELSE '{{"masked": ""}}'::jsonb END,
       repeat('0', 64), repeat('0', 64)
FROM generate_series(1, %(n)s) AS s(i)
"""

_SQLITE = """
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %(n)s)
INSERT INTO audit_auditentry
  (at, actor_ref, actor_role, action, subject_ref, fields, purpose, outcome, target, detail,
   prev_hash, hash)
SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%f', %(start)s,
                '+' || (i * {days} * 86400.0 / %(n)s) || ' seconds'),
       printf('00000000-0000-4000-a000-%%012x', i %% {staff}),
       CASE (i %% {staff}) %% 5 {role_cases} END,
       CASE WHEN i %% 10 = 0 THEN 'order.shipped' ELSE 'reveal' END,
       printf('%%08x-0000-4000-8000-000000000000', (i * 7919) %% {people}),
       CASE i %% 3 WHEN 0 THEN '["accounts.User.email"]'
                   WHEN 1 THEN '["orders.Delivery.name", "orders.Delivery.phone"]'
                   ELSE '["orders.Delivery.address"]' END,
       'after_sales', 'granted', '',
       CASE WHEN (i %% {staff}) %% 5 = 2 THEN '{{"masked": "accounts.User.email"}}'
            ELSE '{{"masked": ""}}' END,
       printf('%%064d', 0), printf('%%064d', 0)
FROM s
"""


def load(entries: int, start: datetime) -> float:
    began = time.perf_counter()
    common = {"days": DAYS, "staff": STAFF, "people": PEOPLE}
    if connection.vendor == "postgresql":
        sql = _PG.format(roles="[" + ", ".join(f"'{r}'" for r in ROLES) + "]", **common)
    else:
        cases = " ".join(f"WHEN {n} THEN '{r}'" for n, r in enumerate(ROLES))
        sql = _SQLITE.format(role_cases=cases, **common)
    bound = connection.ops.adapt_datetimefield_value(start)  # on SQLite: text as stored
    with connection.cursor() as cursor:
        cursor.execute(sql, {"n": entries, "start": bound})
        # As autovacuum leaves a month-old log: hint bits set, visibility map and statistics
        # current (the first read after a bulk insert otherwise pays for writing them).
        postgres = connection.vendor == "postgresql"
        cursor.execute("VACUUM (ANALYZE) audit_auditentry" if postgres else "ANALYZE")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the test database (to EXPLAIN)")
    args = parser.parse_args()
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()  # a fresh var dir (`make bench`'s throwaway one) has none yet
    setup_test_environment()
    olds = [
        (alias, connections[alias].creation.create_test_db(verbosity=0, autoclobber=True))
        for alias in ("default", "keystore")
    ]
    try:
        from lookout.accounts.services import create_account
        from lookout.incidents.services import record_incident

        vendor = connection.vendor
        end = timezone.now().replace(microsecond=0)
        start = end - timedelta(days=DAYS)
        loaded = load(args.entries, start)
        print(f"loaded {args.entries:,} audit entries on {vendor} in {loaded:.1f} s")
        officer = create_account(
            email="officer@bench.example", password="bench-only-passphrase", role="privacy_officer"
        )
        one_day = (end - timedelta(days=1), end)
        cases = [
            ("staff account, 30 days", "staff_account", (start, end)),
            ("role, 30 days", "role", (start, end)),
            ("role, 1 day", "role", one_day),
            ("compromised host, 1 day", "backup", one_day),
        ]
        figures: dict[str, object] = {"database": vendor, "entries": args.entries}
        for name, kind, (since, until) in cases:
            began = time.perf_counter()
            incident = record_incident(
                officer=officer,
                kind=kind,
                started_at=since,
                ended_at=until,
                measures="Benchmark.",
                staff_subject=__import__("uuid").UUID("00000000-0000-4000-a000-000000000007"),
                role="after_sales",
                host_compromised=True,
            )
            took = time.perf_counter() - began
            print(
                f"  {name}: {incident.people:,} people, {incident.records:,} reads "
                f"in {took:.2f} s (target: under 5 s on PostgreSQL)"
            )
            figures[name] = {"s": round(took, 3), "people": incident.people}
        out = ROOT / "var" / "bench" / f"breach-{vendor}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"saved {out.relative_to(ROOT)}")
    finally:
        for alias, old in [] if args.keep else olds:
            connections[alias].creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
