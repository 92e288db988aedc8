"""What subject requests cost: building the access file for a customer with 1,000 orders, and
erasing that customer (C6.2, C6.4).

Run: .venv/bin/python bench/privacy.py [orders] [--profile FILE]   (a throwaway SQLite database
under a temp dir, or DATABASE_URL's server; --profile writes cProfile stats of the warm builds
to FILE, for `python -m pstats FILE`). Prints figures and saves them to
var/bench/privacy-<database>.json; asserts nothing about time. The access file is built several
times: the first build (cold caches) and the best of the rest are both printed; the erasure runs
once (it can only run once).
Targets (issue 10): access file under 0.1 s, erasure under 0.1 s.
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LOOKOUT_ENV", "development")
os.environ.setdefault("LOOKOUT_DEBUG", "0")
os.environ["LOOKOUT_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
if "DATABASE_URL" not in os.environ:
    os.environ["LOOKOUT_VAR_DIR"] = tempfile.mkdtemp(prefix="lookout-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connections

BUILDS = 5


def save(name: str, figures: dict[str, object]) -> Path:
    out = ROOT / "var" / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return out


def main(orders: int, profile: str | None = None) -> int:
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()
    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}")
    throwaway = []
    if engine == "postgresql":  # throwaway databases (test_<name>) on DATABASE_URL's server
        for alias in ("default", "keystore"):
            creation = connections[alias].creation
            old = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            throwaway.append((creation, old))
    else:  # a fresh file under a temp dir
        call_command("migrate", verbosity=0)
        call_command("migrate", database="keystore", verbosity=0)
        call_command("createcachetable", verbosity=0)
    try:
        return run(orders, engine, profile)
    finally:
        for creation, old in throwaway:
            creation.destroy_test_db(old, verbosity=0)


def run(orders: int, engine: str, profile: str | None) -> int:
    from bench.common import customer_with_orders
    from lookout.privacy.access_file import build_document
    from lookout.privacy.erasure import erase_subject

    start = time.perf_counter()
    user = customer_with_orders(orders)
    print(f"placed {orders} orders in {time.perf_counter() - start:.1f} s (setup)")

    times = []
    profiler = cProfile.Profile() if profile else None
    for n in range(BUILDS):
        if profiler is not None and n:
            profiler.enable()
        start = time.perf_counter()
        document = build_document(subject=user.subject)
        times.append(time.perf_counter() - start)
        if profiler is not None:
            profiler.disable()
    if profiler is not None and profile:
        profiler.dump_stats(profile)
        print(f"profile of the warm builds: {profile}")
    size = len(json.dumps(document))
    print(
        f"access file, {orders} orders: first {times[0]:.3f} s, best of {BUILDS} "
        f"{min(times[1:]):.3f} s ({size / 1e6:.1f} MB of JSON)  target < 0.1 s"
    )

    start = time.perf_counter()
    counts = erase_subject(subject=user.subject)
    erased = time.perf_counter() - start
    print(f"erasure of that customer: {erased:.3f} s  target < 0.1 s  {counts}")
    out = save(
        f"privacy-{engine}",
        {
            "database": engine,
            "orders": orders,
            "access_file_first_s": round(times[0], 4),
            "access_file_best_s": round(min(times[1:]), 4),
            "access_file_target_s": 0.1,
            "erasure_s": round(erased, 4),
            "erasure_target_s": 0.1,
        },
    )
    print(f"saved {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders", nargs="?", type=int, default=1000)
    parser.add_argument("--profile", metavar="FILE", help="cProfile stats of the warm builds")
    options = parser.parse_args()
    sys.exit(main(options.orders, options.profile))
