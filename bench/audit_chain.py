"""How many audited transactions per second the hash-chained audit log lets through, with 16
writers at once, next to the same transactions without the chain, in the same run.

Every entry names the one before it, so appending takes the chain lock (PostgreSQL: an advisory
lock held until commit; SQLite: the database's single writer lock) and the next writer waits for
the commit, fsync included. Checkout commits three audited transactions per order (placing it,
the processor disclosure, the payment start), so this rate divided by three is a ceiling on
orders per second whatever the CPU does (see docs/decisions/0023-checkout-throughput.md).

    .venv/bin/python bench/audit_chain.py [--writes 1600] [--threads 16]

Runs in a throwaway database (PostgreSQL when a server answers, and SQLite). Prints figures;
asserts nothing. Saved to var/bench/audit-chain.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, lookout, postgres_url, throwaway_env

CHILD = r"""
import json, os, sys, threading, time
import django
django.setup()
from django.db import connection, connections, transaction
from lookout.audit.services import record

writes, threads = int(sys.argv[1]), int(sys.argv[2])
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE bench_plain (id integer PRIMARY KEY, action varchar(64), "
                   "detail text)")

def run(chained: bool) -> float:
    per = writes // threads
    barrier = threading.Barrier(threads)
    def work(n: int) -> None:
        barrier.wait()
        for i in range(per):
            with transaction.atomic():
                if chained:
                    record(actor=None, action="bench.write", detail={"n": i})
                else:
                    with connection.cursor() as cursor:
                        cursor.execute("INSERT INTO bench_plain VALUES (%s, %s, %s)",
                                       [n * per + i, "bench.write", "{}"])
        connections.close_all()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    t0 = time.perf_counter()
    for t in pool: t.start()
    for t in pool: t.join()
    return per * threads / (time.perf_counter() - t0)

plain = run(False)
chained = run(True)
print(json.dumps({"database": connection.vendor, "plain_tx_per_s": round(plain),
                  "chained_tx_per_s": round(chained)}))
"""


def measure(label: str, *, postgres: str, writes: int, threads: int) -> dict:
    with throwaway_env(postgres=postgres) as env:
        lookout(env, "keys", "init")
        lookout(env, "migrate", "--noinput")
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(writes), str(threads)],
            env=env, cwd=ROOT, text=True, capture_output=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode:
            print(f"  {label}: failed: {done.stderr[-1500:]}")
            return {}
        result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {label:8} {threads} writers: plain transactions {result['plain_tx_per_s']:,}/s, "
        f"with a chained audit entry {result['chained_tx_per_s']:,}/s "
        f"(checkout ceiling at 3 per order: {result['chained_tx_per_s'] / 3:,.0f} orders/s)"
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1600)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"Audit chain: {args.writes} transactions, {args.threads} writers at once")
    results = {"sqlite": measure("sqlite", postgres="", writes=args.writes, threads=args.threads)}
    pg = postgres_url()
    if pg:
        results["postgres"] = measure(
            "postgres", postgres=pg, writes=args.writes, threads=args.threads
        )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit-chain.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
