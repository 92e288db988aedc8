"""`make bench`: every benchmark, each figure next to its target, saved under var/bench/.

Runs on this machine against throwaway databases (SQLite files in a temp dir; a fresh
PostgreSQL database pair created and dropped when a server answers), loopback only, bounded.
Prints; asserts nothing about time. Options: --quick (fewer requests), --only NAME[,NAME].
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import audit_chain, checkout, machine, pages
from bench.common import ROOT, postgres_url, throwaway_env

# other benchmarks, run if present
EXTERNAL = ["privacy", "retention", "analytics", "vault", "holds", "breach"]


def _script(name: str, *, postgres: str) -> dict:
    """Run bench/<name>.py in a throwaway environment; keep its printed figures."""
    path = ROOT / "bench" / f"{name}.py"
    with throwaway_env(postgres=postgres) as env:
        done = subprocess.run(
            [sys.executable, str(path)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines:
        print(f"  {line}")
    if done.returncode:
        print(f"  {name}.py failed: {done.stderr.strip().splitlines()[-1:]}")
    return {"output": lines, "returncode": done.returncode}


def _search(*, postgres: str, products: int) -> dict:
    with throwaway_env(postgres=postgres) as env:
        out = Path(env["LOOKOUT_VAR_DIR"]) / "search.json"
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "search.py"), "--products", str(products),
             "--json", str(out)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        sys.stdout.write(done.stdout)
        if done.returncode:
            print(f"  search failed: {done.stderr[-1500:]}")
            return {}
        return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    pg = postgres_url()
    databases = [("sqlite", "")] + ([("postgres", pg)] if pg else [])
    report: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "postgres": bool(pg),
    }
    if not pg:
        print("PostgreSQL is not reachable: PostgreSQL figures are skipped.")
    # The shared machine's speed changes from day to day: each report says how fast it was, at
    # the start and at the end (bench/machine.py, decision 0027).
    report["machine"]["speed_before"] = machine.speed()
    print("Before: " + machine.describe(report["machine"]["speed_before"]))

    def wanted(name: str) -> bool:
        return not only or name in only

    if wanted("pages"):
        report["pages"] = pages.main(["--requests", "900" if args.quick else "3000"])
    if wanted("search"):
        print("Search: 10,000 products, uncached")
        report["search"] = {
            label: _search(postgres=url, products=2000 if args.quick else 10_000)
            for label, url in databases
        }
    if wanted("checkout"):
        report["checkout"] = checkout.main(["--orders", "150" if args.quick else "600"])
    if wanted("audit_chain"):
        report["audit_chain"] = audit_chain.main(["--writes", "480" if args.quick else "1600"])
    for name in EXTERNAL:
        if wanted(name) and (ROOT / "bench" / f"{name}.py").exists():
            print(f"{name.capitalize()} (bench/{name}.py)")
            report[name] = {label: _script(name, postgres=url) for label, url in databases}
    report["machine"]["speed_after"] = machine.speed()
    print("After:  " + machine.describe(report["machine"]["speed_after"]))
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"Saved {path.relative_to(ROOT)} (and var/bench/latest.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
