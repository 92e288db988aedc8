"""`GET /healthz`: is this server process able to serve, and a few counters for monitoring.

Why here and why so small: a load balancer polls it every few seconds on every `lookout serve`
process, so it must be cheap (one trivial query per database, one cache round trip, the master
key already in memory) and must not need a session or a cookie.

It answers 200 with `{"status": "ok", ...}` when the main database, the key store, the cache
and the master key all answer, and 503 naming the failing check otherwise. `?format=prometheus`
gives the same figures as Prometheus text. Nothing in it is personal data: check names, a
database vendor, counts and durations; never a row, an address, a user or an IP.

`jobs` shows each periodic job's last enqueued run, last success and whether it is overdue
(lookout.core.scheduler.job_states; one more query on a three-row table). An overdue job does
NOT turn the answer into a 503: the load balancer would take every server out of rotation at
once for a job that serves no page. It is for monitoring to alert on (`jobs_overdue`,
`lookout_job_overdue`), and the daily self-audit fails on it (decision 0030).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

STARTED = time.time()


def _database(alias: str) -> Callable[[], None]:
    def check() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")

    return check


def _cache() -> None:
    cache = caches["default"]
    cache.set("healthz", "ok", timeout=30)
    if cache.get("healthz") != "ok":
        raise RuntimeError("the cache did not return what was just written")


CHECKS: dict[str, Callable[[], object]] = {
    "database": _database("default"),
    "keystore": _database("keystore"),
    "cache": _cache,
}
# name -> () -> {figure: value}: each app's counters, registered from its AppConfig.ready().
METRICS: dict[str, Callable[[], dict[str, float]]] = {}


def register_check(name: str, check: Callable[[], object]) -> None:
    """An app adds a check of a part it owns (the vault: its master key). The health check
    knows no app by name: the apps tell it what to check (import direction, decision 0038)."""
    CHECKS[name] = check


def register_metrics(name: str, figures: Callable[[], dict[str, float]]) -> None:
    """An app adds counters of this process to /healthz's figures (counts only)."""
    METRICS[name] = figures


def run_checks() -> dict[str, dict[str, object]]:
    """Each check's outcome and duration; the error's class name only (no message, which could
    echo a connection string)."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            check()
            ok, error = True, ""
        except Exception as exc:
            ok, error = False, type(exc).__name__
        results[name] = {"ok": ok, "ms": round((time.perf_counter() - start) * 1000, 2)}
        if error:
            results[name]["error"] = error
    return results


def metrics() -> dict[str, float]:
    """Counters of this process (each registered app's, e.g. page-cache use and analytics
    batching) and uptime. Counts only."""
    figures: dict[str, float] = {}
    for _, collect in sorted(METRICS.items()):
        figures.update(collect())
    figures["uptime_seconds"] = round(time.time() - STARTED, 1)
    return figures


def jobs() -> dict[str, dict[str, object]]:
    """Each periodic job's last runs and whether it is overdue; {} when the database does not
    answer (the database check already says so)."""
    from lookout.core.scheduler import job_states

    try:
        return {state.name: state.as_json() for state in job_states()}
    except Exception:  # reported by the database check, not twice
        return {}


def _timestamp(value: object) -> str:
    from datetime import datetime

    return str(datetime.fromisoformat(value).timestamp()) if isinstance(value, str) else "NaN"


def _prometheus(
    checks: dict[str, dict[str, object]],
    figures: dict[str, float],
    job_rows: dict[str, dict[str, object]] | None = None,
) -> str:
    lines = ["# TYPE lookout_up gauge"]
    for name, result in checks.items():
        lines.append(f'lookout_up{{check="{name}"}} {1 if result["ok"] else 0}')
    for name, value in figures.items():
        lines.append(f"lookout_{name} {value}")
    for field, metric in (
        ("overdue", "job_overdue"),
        ("last_enqueued_at", "job_last_enqueued_timestamp_seconds"),
        ("last_succeeded_at", "job_last_success_timestamp_seconds"),
        ("next_run_at", "job_next_run_timestamp_seconds"),
    ):
        lines.append(f"# TYPE lookout_{metric} gauge")
        for job, state in (job_rows or {}).items():
            moment = state[field]
            shown = str(int(bool(moment))) if field == "overdue" else _timestamp(moment)
            lines.append(f'lookout_{metric}{{job="{job}"}} {shown}')
    return "\n".join(lines) + "\n"


@require_safe
def view(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    healthy = all(r["ok"] for r in checks.values())
    status = 200 if healthy else 503
    figures = metrics()
    job_rows = jobs() if checks["database"]["ok"] else {}  # no second wait on a dead database
    if request.GET.get("format") == "prometheus":
        response: HttpResponse = HttpResponse(
            _prometheus(checks, figures, job_rows),
            status=status,
            content_type="text/plain; version=0.0.4",
        )
    else:
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": connections["default"].vendor,
            "checks": checks,
            "metrics": figures,
            "jobs": job_rows,
            "jobs_overdue": sorted(name for name, row in job_rows.items() if row["overdue"]),
        }
        response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response
