"""Writing analytics: beacon ingestion (anonymised before anything is stored), the daily rollup
and the purge of expired raw events and salts (C2.4, C4.6)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Count
from django.utils import timezone

from lookout.analytics import anonymise, visitors
from lookout.analytics.buffer import event_buffer, flush_seconds
from lookout.analytics.models import DailyRollup, DailySalt, Event, Kind
from lookout.analytics.personal_data import RAW_EVENT_RETENTION
from lookout.core.errors import LookoutError

MAX_EVENTS = 20
MAX_DWELL_SECONDS = 3600
_VISITOR_COOKIE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_KINDS = frozenset(Kind.values)  # Kind.values builds a new list on every access
# The columns of one stored event, in INSERT order: the event's own, then the beacon's.
_EVENT_COLUMNS: tuple[str, ...] = (
    "kind", "path", "referrer_path", "sku", "search_terms", "results", "dwell_seconds",
)  # fmt: skip
_SHARED_COLUMNS: tuple[str, ...] = (
    "device_class", "browser_family", "browser_major", "network", "visitor", "linked",
    "occurred_at",
)  # fmt: skip


class BeaconError(LookoutError):
    status_code = 400


def _number(value: object, *, upper: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, min(int(value), upper))


def _event(raw: object, *, host: str) -> tuple[object, ...]:
    """One event's own columns (see _EVENT_COLUMNS), cleaned; BeaconError when malformed."""
    if not isinstance(raw, dict):
        raise BeaconError("Each event must be a JSON object.")
    kind = raw.get("kind")
    if kind not in _KINDS:
        raise BeaconError(f"Unknown event kind; use one of {', '.join(Kind.values)}.")
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 500:
        raise BeaconError("Each event needs the path of a page on this site.")
    ref = raw.get("ref", "")
    search_terms, results, seconds = "", None, None
    if kind == Kind.SEARCH:
        q = raw.get("q")
        search_terms = anonymise.search_terms(q if isinstance(q, str) else "")
        results = _number(raw.get("results"), upper=100_000)
    if kind == Kind.DWELL:
        seconds = _number(raw.get("seconds"), upper=MAX_DWELL_SECONDS)
        if seconds is None:
            raise BeaconError("A dwell event needs a number of seconds.")
    return (
        kind,
        anonymise.clean_path(path),
        anonymise.referrer_path(ref if isinstance(ref, str) else "", host=host),
        anonymise.clean_sku(raw.get("sku")),
        search_terms,
        results,
        seconds,
    )


@lru_cache(maxsize=1024)
def _insert_sql(alias: str, rows: int) -> str:
    """One multi-row INSERT for `rows` events (cached per database and row count). Only quoted
    column names and placeholders go into the text; every value is a parameter."""
    quote = connections[alias].ops.quote_name
    table = quote(Event._meta.db_table)
    columns = ", ".join(quote(c) for c in _EVENT_COLUMNS + _SHARED_COLUMNS)
    row = "(" + ", ".join(["%s"] * (len(_EVENT_COLUMNS) + len(_SHARED_COLUMNS))) + ")"
    values = ", ".join([row] * rows)
    return f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608


def write_rows(rows: Sequence[tuple[object, ...]]) -> None:
    """Write events (each row: `_EVENT_COLUMNS` then `_SHARED_COLUMNS`, values ready for the
    database) in one statement, all or nothing.

    PostgreSQL: COPY, the server's bulk-load path (no SQL text to build or parse per value).
    SQLite: one multi-row INSERT. Not `bulk_create`: it builds a model instance per event and,
    on PostgreSQL, asks for the new ids back; none of that is needed here. Outside a
    transaction either statement commits on its own.
    """
    if not rows:
        return
    alias = router.db_for_write(Event)
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _copy_sql(alias)
            # Django's debug wrapper, when on, records the COPY like any other statement.
            logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
            with logged, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            params: list[Any] = [value for row in rows for value in row]
            cursor.execute(_insert_sql(alias, len(rows)), params)


@lru_cache(maxsize=8)
def _copy_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(c) for c in _EVENT_COLUMNS + _SHARED_COLUMNS)
    return f"COPY {quote(Event._meta.db_table)} ({columns}) FROM STDIN"


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
    shared = (
        seen.device_class,
        seen.browser_family,
        seen.browser_major,
        anonymise.truncate_ip(ip),
        visitor,
        linked,
        _db_time(now),
    )
    rows = [(*row, *shared) for row in cleaned]
    if flush_seconds() <= 0:
        write_rows(rows)  # configured to write before answering
        return len(rows)
    return event_buffer().add(rows)  # written within a quarter second, batched (buffer.py)


def _db_time(now: datetime) -> object:
    """`occurred_at` as the database driver takes it (SQLite stores text)."""
    connection = connections[router.db_for_write(Event)]
    return Event._meta.get_field("occurred_at").get_db_prep_save(now, connection)


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
