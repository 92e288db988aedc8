"""Category and product pages against a minimal Django view reading 24 products, under the
same granian server in the same run (16 concurrent keep-alive clients, loopback, bounded).
The pages are those of the demo's product with variants, photos and ratings and its category;
the product's reviews part (loaded by its page with htmx) is measured alongside, without target.

Run alone: .venv/bin/python bench/pages.py [--requests 3000]   (SQLite, then PostgreSQL when
one answers). Targets: pages >= the minimal view's req/s; p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Request, get, hammer, postgres_url, prepare, server, throwaway_env

# Issue 24: "category and product pages with photos, variants and ratings". The demo's doorbell
# in colours (catalog.demo.SHOWCASE) has all three: a photo of the product and one of each
# colour, three variants, and a published review (reviews.demo). Its page holds the average and
# count only and is cached like any other; the review's words come from /p/<slug>/reviews/,
# which a browser loads with htmx (a second request this bench does not make; decision 0047).
CATEGORY = "/c/video-doorbells/"


def _product_path(base: str) -> str:
    """The category's card with a photo, a choice of variants and a rating."""
    with urllib.request.urlopen(base + CATEGORY, timeout=5) as r:  # noqa: S310 loopback
        html = r.read().decode()
    for card in re.findall(r'<article class="card">.*?</article>', html, re.S):
        if "<picture>" in card and 'class="variants"' in card and "card-rating" in card:
            match = re.search(r'href="(/p/[^"?]+/)"', card)
            assert match, "a card links its product"
            return match.group(1)
    raise AssertionError(f"no card on {CATEGORY} has a photo, variants and a rating")


def _htmx(path: str) -> Request:
    return lambda i: ("GET", path, None, {"HX-Request": "true"})


def run_one(label: str, *, postgres: str, requests: int, concurrency: int) -> dict:
    results: dict = {}
    with throwaway_env(
        postgres=postgres, extra={"DJANGO_SETTINGS_MODULE": "bench.site_settings"}
    ) as env:
        prepare(env)
        with server(env, workers=2, threads=8) as base:
            product = _product_path(base)
            paths = {
                "minimal_view": get("/bench/minimal"),
                "category": get(CATEGORY),
                "product": get(product),
                # what the product page loads with htmx (never cached; no target of its own)
                "reviews_part": _htmx(product + "reviews/"),
            }
            for request in paths.values():
                hammer(base, request, total=min(400, requests), concurrency=concurrency)
            # Interleave rounds so a slow moment of the machine hits every page alike.
            rounds = 3
            results = {name: [] for name in paths}
            for _ in range(rounds):
                for name, request in paths.items():
                    load = hammer(base, request, total=requests // rounds, concurrency=concurrency)
                    results[name].append(load)
    out = {}
    for name, loads in results.items():
        best = max(loads, key=lambda load: load.rps)  # the least disturbed round
        out[name] = best.as_dict()
        print(f"  {label:8} {name:13} {best.line()}")
    minimal = out["minimal_view"]["rps"]
    for name in ("category", "product"):
        ratio = out[name]["rps"] / minimal
        out[name]["ratio_to_minimal"] = round(ratio, 2)
        ok = ratio >= 1.0 and out[name]["p99_ms"] < 50
        print(
            f"  {label:8} {name:13} {ratio:5.2f}x the minimal view (target >= 1.00x), "
            f"p99 {out[name]['p99_ms']:.1f} ms (target < 50 ms)  {'MET' if ok else 'MISSED'}"
        )
    part = out["reviews_part"]
    part["ratio_to_minimal"] = round(part["rps"] / minimal, 2)
    print(
        f"  {label:8} reviews_part  {part['ratio_to_minimal']:5.2f}x the minimal view, "
        f"p99 {part['p99_ms']:.1f} ms (no target: what a browser then loads with htmx)"
    )
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"Pages: {args.requests} requests each, {args.concurrency} clients, 2 granian workers")
    results = {"sqlite": run_one("sqlite", postgres="", **vars(args))}
    pg = postgres_url()
    if pg:
        results["postgres"] = run_one("postgres", postgres=pg, **vars(args))
    else:
        print("  postgres: not reachable, skipped")
    return results


if __name__ == "__main__":
    main()
