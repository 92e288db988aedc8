"""The beacon endpoint and the staff trend reports.

The beacon is exempt from Django's CSRF check (which needs a cookie; the beacon must work without
one) and validates instead: JSON only, small, from this site's own pages, at most MAX_EVENTS.
"""

from __future__ import annotations

import csv
import json
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from lookout.access.roles import Role
from lookout.analytics import charts, reports, services
from lookout.consent import selectors as consent
from lookout.consent.cookies import VISITOR_COOKIE
from lookout.core.client_ip import client_ip

MAX_BODY = 8 * 1024
REPORT_ROLES = frozenset({Role.CATALOG_MANAGER, Role.ADMINISTRATOR})


def _problem(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@csrf_exempt
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return _problem("Analytics events are accepted from this site's own pages only.", 403)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        return _problem(f"Send at most {MAX_BODY} bytes.", 413)
    try:
        payload = json.loads(request.body[: MAX_BODY + 1] or b"null")
    except (ValueError, UnicodeDecodeError):
        return _problem("The body must be JSON.")
    if consent.restricted(request):
        # The person restricted processing (Art. 18, C6.9): nothing is recorded about them.
        response = HttpResponse(status=204)
        response["X-Events-Kept"] = "0"
        return response
    cookie = request.COOKIES.get(VISITOR_COOKIE) if consent.allows(request, "analytics") else None
    try:
        kept = services.ingest(
            payload=payload,
            ip=client_ip(request),  # behind a trusted proxy: the forwarded client
            user_agent=request.headers.get("User-Agent", ""),
            host=request.get_host(),
            visitor_cookie=cookie,
        )
    except services.BeaconError as error:
        return _problem(error.message)
    response = HttpResponse(status=204)
    response["X-Events-Kept"] = str(kept)
    return response


def staff_only(view):  # type: ignore[no-untyped-def]
    """Catalog managers and administrators; everyone else gets the same 404 as a missing page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if (
            not request.user.is_authenticated
            or getattr(request.user, "role", "") not in REPORT_ROLES
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _days(request: HttpRequest) -> int | None:
    raw = request.GET.get("days", "30")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 90 else None


def _bad_days(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "Bad period", "message": "Choose a period of 1 to 90 days."},
        status=400,
    )


@require_safe
@staff_only
def report_page(request: HttpRequest) -> HttpResponse:
    days = _days(request)
    if days is None:
        return _bad_days(request)
    tables = reports.all_tables(days=days)
    since = reports.since(days)
    conversion = [(str(r[0]), r[4]) for r in tables["discounts"].rows]
    context = {
        "days": days,
        "k": reports.min_group(),
        "tables": tables,
        "trend_chart": charts.bar_chart(
            title="Visitors per day", items=reports.daily_visitors(since=since)
        ),
        "discount_chart": charts.bar_chart(
            title="Conversion by discount depth", items=conversion, unit="%"
        ),
        "device_chart": charts.bar_chart(
            title="Visitors by device", items=reports.device_classes(since=since)
        ),
    }
    return render(request, "analytics/reports.html", context)


@require_safe
@staff_only
def report_csv(request: HttpRequest, name: str) -> HttpResponse:
    days = _days(request)
    if days is None:
        return _bad_days(request)
    tables = reports.all_tables(days=days)
    if name not in tables:
        raise Http404
    table = tables[name]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lookout-{name}-{days}d.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_safe(cell) for cell in row])
    return response


def _csv_safe(cell: object) -> str:
    """No spreadsheet formula injection through a search word."""
    text = str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
