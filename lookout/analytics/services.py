"""Writing analytics: beacon ingestion (anonymised before anything is stored), the daily rollup
and the purge of expired raw events and salts (C2.4, C4.6)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from lookout.analytics import anonymise, visitors
from lookout.analytics.models import DailyRollup, DailySalt, Event, Kind
from lookout.analytics.personal_data import RAW_EVENT_RETENTION
from lookout.core.errors import LookoutError

MAX_EVENTS = 20
MAX_DWELL_SECONDS = 3600
_VISITOR_COOKIE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class BeaconError(LookoutError):
    status_code = 400


def _number(value: object, *, upper: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, min(int(value), upper))


def _event(raw: object, *, host: str) -> dict:
    if not isinstance(raw, dict):
        raise BeaconError("Each event must be a JSON object.")
    kind = raw.get("kind")
    if kind not in Kind.values:
        raise BeaconError(f"Unknown event kind; use one of {', '.join(Kind.values)}.")
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 500:
        raise BeaconError("Each event needs the path of a page on this site.")
    ref = raw.get("ref", "")
    fields = {
        "kind": kind,
        "path": anonymise.clean_path(path),
        "referrer_path": anonymise.referrer_path(ref if isinstance(ref, str) else "", host=host),
        "sku": anonymise.clean_sku(raw.get("sku")),
    }
    if kind == Kind.SEARCH:
        q = raw.get("q")
        fields["search_terms"] = anonymise.search_terms(q if isinstance(q, str) else "")
        fields["results"] = _number(raw.get("results"), upper=100_000)
    if kind == Kind.DWELL:
        seconds = _number(raw.get("seconds"), upper=MAX_DWELL_SECONDS)
        if seconds is None:
            raise BeaconError("A dwell event needs a number of seconds.")
        fields["dwell_seconds"] = seconds
    return fields


def ingest(
    *,
    payload: object,
    ip: str,
    user_agent: str,
    host: str,
    visitor_cookie: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store the events of one beacon; returns how many were kept (robots: none).

    `visitor_cookie` is passed only when the visitor consented to analytics. `ip` and
    `user_agent` are used here and dropped: only the /24 or /48 network, the device class and
    the browser family and major version are stored.
    """
    raw = payload.get("events") if isinstance(payload, dict) and "events" in payload else payload
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > MAX_EVENTS:
        raise BeaconError(f"Send between 1 and {MAX_EVENTS} events at a time.")
    cleaned = [_event(item, host=host) for item in items]
    seen = anonymise.device(user_agent or "")
    if seen is None:
        return 0
    now = now or timezone.now()
    if visitor_cookie and _VISITOR_COOKIE.fullmatch(visitor_cookie):
        visitor, linked = visitors.consented_visitor(visitor_cookie), True
    else:
        visitor = visitors.daily_visitor(
            day=now.date(), ip=ip, user_agent=user_agent or "", host=host
        )
        linked = False
    shared = {
        "device_class": seen.device_class,
        "browser_family": seen.browser_family,
        "browser_major": seen.browser_major,
        "network": anonymise.truncate_ip(ip),
        "visitor": visitor,
        "linked": linked,
        "occurred_at": now,
    }
    Event.objects.bulk_create([Event(**fields, **shared) for fields in cleaned])
    return len(cleaned)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return start, start + timedelta(days=1)


@transaction.atomic
def roll_up(*, day: date) -> int:
    """(Re)compute the counts of `day` from raw events; safe to run twice."""
    start, end = _day_bounds(day)
    groups = (
        Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("kind", "path", "sku", "device_class")
        .annotate(events=Count("id"), visitors=Count("visitor", distinct=True))
        .order_by()
    )
    DailyRollup.objects.filter(day=day).delete()
    rows = [DailyRollup(day=day, **group) for group in groups]
    DailyRollup.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@transaction.atomic
def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete raw events past their retention and every salt older than today."""
    now = now or timezone.now()
    events, _ = Event.objects.filter(occurred_at__lt=now - RAW_EVENT_RETENTION.period).delete()
    salts, _ = DailySalt.objects.filter(day__lt=now.date()).delete()
    visitors.forget_cached_salts()
    return {"events": events, "salts": salts}


def run_daily(*, now: datetime | None = None) -> dict[str, int]:
    """Roll up yesterday, then purge. The scheduler runs this once a day."""
    now = now or timezone.now()
    rolled = roll_up(day=(now - timedelta(days=1)).date())
    return {"rollups": rolled, **purge_expired(now=now)}
