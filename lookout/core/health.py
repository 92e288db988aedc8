"""`GET /healthz`: is this server process able to serve, and a few counters for monitoring.

Why here and why so small: a load balancer polls it every few seconds on every `lookout serve`
process, so it must be cheap (one trivial query per database, one cache round trip, the master
key already in memory) and must not need a session or a cookie.

It answers 200 with `{"status": "ok", ...}` when the main database, the key store, the cache
and the master key all answer, and 503 naming the failing check otherwise. `?format=prometheus`
gives the same figures as Prometheus text, rendered by `prometheus_client`. The counters are the
deployment's: with `lookout serve`, every worker's added up (lookout.core.metrics, multiprocess
mode); the checks and the uptime are those of the process that answered. Nothing in it is
personal data: check names, a database vendor, counts and durations; never a row, an address, a
user or an IP.

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
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from lookout.core.metrics import CONTENT_TYPE, as_text, scrape, unlabelled

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


def register_check(name: str, check: Callable[[], object]) -> None:
    """An app adds a check of a part it owns (the vault: its master key). The health check
    knows no app by name: the apps tell it what to check (import direction, decision 0038)."""
    CHECKS[name] = check


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
    """The counters and gauges the apps declared (lookout.core.metrics: the deployment's, every
    worker's added up under `lookout serve`) and this process's uptime. Counts only."""
    registry = scrape(_Measured({}, {}))
    return {name: _plain(value) for name, value in unlabelled(registry)}


def _plain(value: float) -> float:
    return int(value) if value.is_integer() else value


def jobs() -> dict[str, dict[str, object]]:
    """Each periodic job's last runs and whether it is overdue; {} when the database does not
    answer (the database check already says so)."""
    from lookout.core.scheduler import job_states

    try:
        return {state.name: state.as_json() for state in job_states()}
    except Exception:  # reported by the database check, not twice
        return {}


def _timestamp(value: object) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp() if isinstance(value, str) else float("nan")


class _Measured:
    """The figures taken at the scrape itself, in the process that answers: its checks, its
    uptime and the periodic jobs' states (read from the database, the same in every process)."""

    def __init__(
        self, checks: dict[str, dict[str, object]], job_rows: dict[str, dict[str, object]]
    ) -> None:
        self.checks, self.job_rows = checks, job_rows

    def collect(self) -> list[Metric]:
        up = GaugeMetricFamily(
            "lookout_up", "1 when the check passed in the process that answered", labels=["check"]
        )
        for name, result in self.checks.items():
            up.add_metric([name], 1 if result["ok"] else 0)
        families: list[Metric] = [
            up,
            GaugeMetricFamily(
                "lookout_uptime_seconds",
                "Seconds since the process that answered started",
                value=round(time.time() - STARTED, 1),
            ),
        ]
        for field, metric, documentation in (
            ("overdue", "job_overdue", "1 when the periodic job is overdue"),
            ("last_enqueued_at", "job_last_enqueued_timestamp_seconds", "Last run enqueued"),
            ("last_succeeded_at", "job_last_success_timestamp_seconds", "Last successful run"),
            ("next_run_at", "job_next_run_timestamp_seconds", "Next run due"),
        ):
            family = GaugeMetricFamily(f"lookout_{metric}", documentation, labels=["job"])
            for job, state in self.job_rows.items():
                moment = state[field]
                value = float(bool(moment)) if field == "overdue" else _timestamp(moment)
                family.add_metric([job], value)
            families.append(family)
        return families


@require_safe
def view(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    healthy = all(r["ok"] for r in checks.values())
    status = 200 if healthy else 503
    job_rows = jobs() if checks["database"]["ok"] else {}  # no second wait on a dead database
    if request.GET.get("format") == "prometheus":
        registry = scrape(_Measured(checks, job_rows))
        response: HttpResponse = HttpResponse(
            as_text(registry), status=status, content_type=CONTENT_TYPE
        )
    else:
        figures = metrics()
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
