"""How Lookout's processes are started: the argv of the web server and of the task worker.

Kept apart from the `serve` command so tests can start exactly the same server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

WSGI_TARGET = "lookout.wsgi:application"


def granian_command(
    *,
    host: str,
    port: int,
    workers: int = 1,
    threads: int = 4,
    ssl_cert: Path | None = None,
    ssl_key: Path | None = None,
    target: str = WSGI_TARGET,
) -> list[str]:
    """granian in WSGI mode; `threads` blocking threads per process serve requests."""
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        # Access logs would carry full client IPs: off (the app logs through its masking filter).
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if ssl_cert and ssl_key:
        command += ["--ssl-certificate", str(ssl_cert), "--ssl-keyfile", str(ssl_key)]
    return [*command, target]


def metrics_directory(port: int) -> Path:
    """Where the server's workers keep their figures for /healthz (prometheus_client's
    multiprocess mode, lookout.core.metrics): PROMETHEUS_MULTIPROC_DIR when the operator set
    it, else `metrics/<port>` in this deployment's LOOKOUT_VAR_DIR, one per `lookout serve`, so
    two of them on one machine never empty or add up each other's."""
    from django.conf import settings

    from lookout.core.metrics import ENV_VAR

    chosen = os.environ.get(ENV_VAR, "")
    return Path(chosen) if chosen else Path(settings.VAR_DIR) / "metrics" / str(port)


def worker_command() -> list[str]:
    """The task worker for the configured backend: RQ's worker when tasks go to Redis (one that
    stops within a second of SIGTERM: lookout.core.rq_worker), else the django-tasks-db worker
    (no autoreload, so it stops cleanly on SIGTERM/SIGINT)."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_rq."):
        return [
            sys.executable, "-m", "lookout.cli", "rqworker",
            "--job-class", "django_tasks_rq.Job",
            "--worker-class", "lookout.core.rq_worker.Worker", "default",
        ]  # fmt: skip
    return [sys.executable, "-m", "lookout.cli", "db_worker", "--no-reload", "--queue-name", "*"]


def scheduler_command() -> list[str]:
    """The periodic-task scheduler (lookout.core.scheduler): it enqueues retention and the daily
    rollups when due; the worker runs them. Safe to run beside other schedulers."""
    return [sys.executable, "-m", "lookout.cli", "scheduler"]


def server_url(*, host: str, port: int, tls: bool = False) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
    shown = f"[{shown}]" if ":" in shown else shown
    return f"{'https' if tls else 'http'}://{shown}:{port}/"
