"""Background work of the analytics app (Django Tasks API); schedule `daily_analytics` daily."""

from __future__ import annotations

from django.tasks import task

from lookout.analytics import services


@task()
def daily_analytics() -> dict[str, int]:
    """Roll up yesterday's raw events and purge expired events and old salts (C2.4, C4.6)."""
    return services.run_daily()
