"""Self-audit checks on how the store is run: partners, retention, requests, refunds, shipments,
production settings and cookies."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils import timezone

from lookout.compliance.selfaudit.result import CheckResult, titled

LOOKOUT_DIR = Path(__file__).resolve().parents[2]
SET_COOKIE = re.compile(r"\.set_cookie\(\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Z][A-Z0-9_]*))")
LIST_LIMIT = 50


@titled("Data shared with partners only under an agreement in force")
def partner_disclosures(*, since: datetime | None) -> CheckResult:
    """No partner received data without an agreement in force that day (C5.1, C5.2).

    Reads the ledger rows written since the last self-audit (all of them on the first run) and
    judges each against the partner's agreements on the store's calendar day it was written.
    """
    from lookout.sharing.models import Disclosure, PartnerKind

    rows = Disclosure.objects.select_related("partner").order_by("at")
    if since is not None:
        rows = rows.filter(at__gt=since)
    bad: list[dict[str, Any]] = []
    checked = 0
    for row in rows.iterator(500):
        checked += 1
        day = timezone.localdate(row.at)
        partner = row.partner
        if partner.kind not in PartnerKind.values:
            bad.append({"disclosure": str(row.pk), "partner": partner.name, "why": "kind"})
        elif not partner.agreements.valid_on(day).exists():
            bad.append(
                {
                    "disclosure": str(row.pk),
                    "partner": partner.name,
                    "day": day.isoformat(),
                    "why": "no agreement in force",
                }
            )
    return CheckResult(
        "partner_disclosures",
        ("C5.1", "C5.2"),
        not bad,
        f"{checked} disclosure(s) since the last run, each under an agreement in force"
        if not bad
        else f"{len(bad)} disclosure(s) to a partner without an agreement in force",
        {
            "since": since.isoformat() if since else None,
            "checked": checked,
            "bad": bad[:LIST_LIMIT],
        },
    )


@titled("Nothing kept past its retention period")
def retention() -> CheckResult:
    """Nothing is kept past its retention period (C4.6): every rule has nothing due."""
    from lookout.retention.services import plan

    lines = plan()
    due = [{"rule": line.rule, "due": line.due, "retention": line.retention} for line in lines]
    late = [line for line in lines if line.due]
    return CheckResult(
        "retention",
        ("C4.6",),
        not late,
        f"{len(lines)} retention rules, nothing past its period"
        if not late
        else f"{sum(line.due for line in late)} record(s) past their retention period",
        {"rules": due},
    )


@titled("Privacy requests answered by their due date")
def subject_requests() -> CheckResult:
    """No subject request is past its due date (C6.5)."""
    from lookout.privacy.selectors import officer_queue

    rows = officer_queue()
    overdue = [
        {
            "request": str(r.request.pk),
            "kind": r.request.kind,
            "due_at": r.request.due_at.isoformat(),
        }
        for r in rows
        if r.overdue
    ]
    return CheckResult(
        "subject_requests",
        ("C6.5",),
        not overdue,
        f"{len(rows)} open request(s), none overdue"
        if not overdue
        else f"{len(overdue)} request(s) overdue",
        {"open": len(rows), "overdue": overdue[:LIST_LIMIT]},
    )


@titled("Breaches reported to the authority within 72 hours")
def breach_incidents() -> CheckResult:
    """No breach incident is past its 72-hour deadline without the supervisory authority's
    notice (C4.8, GDPR Art. 33(1)); the late ones are listed by id and kind."""
    from lookout.incidents.selectors import overdue_incidents

    late = [
        {"incident": str(i.pk), "kind": i.kind, "due_at": i.due_at.isoformat()}
        for i in overdue_incidents()[:LIST_LIMIT]
    ]
    return CheckResult(
        "breach_incidents",
        ("C4.8",),
        not late,
        "no breach incident past its 72-hour deadline"
        if not late
        else f"{len(late)} breach incident(s) past the 72-hour deadline, authority not notified",
        {"overdue": late},
    )


@titled("Customer conversations answered by their due day")
def conversations() -> CheckResult:
    """Every customer conversation got its first answer by its due day (C1.9): the overdue ones
    are listed by id, role and due day (never a word of them)."""
    from lookout.support.selectors import overdue

    rows = overdue().order_by("first_reply_due", "opened_at")
    late = [
        {"conversation": str(c.pk), "role": c.role, "due": c.first_reply_due.isoformat()}
        for c in rows[:LIST_LIMIT]
    ]
    total = rows.count()
    return CheckResult(
        "conversations",
        ("C1.9",),
        not total,
        "no customer conversation is overdue for a first answer"
        if not total
        else f"{total} customer conversation(s) overdue for a first answer",
        {"overdue": total, "conversations": late},
    )


@titled("Partners confirm forgetting erased people on time")
def partner_redactions() -> CheckResult:
    """Every partner asked to forget an erased person confirmed by the due date (C6.7)."""
    from lookout.sharing.redaction import overdue, unconfirmed

    late = [
        {
            "redaction": str(r.pk),
            "partner": r.partner.name,
            "status": r.status,
            "due_at": r.due_at.isoformat(),
        }
        for r in overdue()[:LIST_LIMIT]
    ]
    waiting = unconfirmed().count()
    return CheckResult(
        "partner_redactions",
        ("C6.7",),
        not late,
        f"{waiting} redaction request(s) waiting for a partner, none overdue"
        if not late
        else f"{len(late)} redaction request(s) to partners overdue",
        {"waiting": waiting, "overdue": late},
    )


@titled("Refunds settled by their due date")
def refunds() -> CheckResult:
    """Refunds not settled by their due date are listed (C1.8)."""
    from lookout.returns.selectors import overdue_refunds

    late = [
        {"refund": str(r.pk), "due_on": r.due_on.isoformat()}
        for r in overdue_refunds().order_by("due_on")[:LIST_LIMIT]
    ]
    return CheckResult(
        "refunds",
        ("C1.8",),
        not late,
        "no refund overdue" if not late else f"{len(late)} refund(s) overdue",
        {"overdue": late},
    )


@titled("Orders shipped by their ship-by date")
def shipments() -> CheckResult:
    """Orders not handed to the carrier by their ship-by date are listed (C1.6)."""
    from lookout.orders.models import OPEN_FOR_WAREHOUSE, Order

    today = timezone.localdate()
    late = [
        {"order": number, "ship_by": str(ship_by)}
        for number, ship_by in Order.objects.filter(
            status__in=OPEN_FOR_WAREHOUSE, ship_by__lt=today
        )
        .order_by("ship_by")
        .values_list("number", "ship_by")[:LIST_LIMIT]
    ]
    return CheckResult(
        "shipments",
        ("C1.6",),
        not late,
        "no order late" if not late else f"{len(late)} order(s) past their ship-by date",
        {"late": late},
    )


@titled("Production security settings (HTTPS, secure cookies, CSP)")
def production_settings() -> CheckResult:
    """HTTPS, HSTS, secure cookies, a CSP, and `check --deploy` clean (C4.1, C4.7).

    In development these fail, and the report says so: that is the honest answer.
    """
    wanted = {
        "SECURE_SSL_REDIRECT": bool(getattr(settings, "SECURE_SSL_REDIRECT", False)),
        "SECURE_HSTS_SECONDS": int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0) >= 31536000,
        "SESSION_COOKIE_SECURE": bool(settings.SESSION_COOKIE_SECURE),
        "CSRF_COOKIE_SECURE": bool(settings.CSRF_COOKIE_SECURE),
        "SESSION_COOKIE_HTTPONLY": bool(settings.SESSION_COOKIE_HTTPONLY),
        "SECURE_CSP": bool(getattr(settings, "SECURE_CSP", None)),
        "DEBUG off": not settings.DEBUG,
    }
    messages = [
        m
        for m in checks.run_checks(include_deployment_checks=True)
        if m.level >= checks.WARNING and not m.is_silenced()
    ]
    deploy = [f"{m.id}: {str(m.msg).splitlines()[0]}" for m in messages]
    failing = [name for name, ok in wanted.items() if not ok]
    ok = not failing and not deploy
    return CheckResult(
        "production_settings",
        ("C4.1", "C4.7"),
        ok,
        "HTTPS, HSTS, secure cookies, CSP set; check --deploy clean"
        if ok
        else f"not production-ready: {', '.join(failing + [d.split(':')[0] for d in deploy])}",
        {"settings": wanted, "check_deploy": deploy, "environment": getattr(settings, "ENV", "")},
    )


def _constants(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)\s*(?::[^=]+)?=\s*[\"']([^\"']+)[\"']", text, re.M))


def cookies_the_site_sets() -> set[str]:
    """Cookie names the site can set: Django's (from settings) and every `set_cookie(...)` in
    the product's code (a literal name, or a constant resolved across its modules)."""
    from django.contrib.messages.storage.cookie import CookieStorage

    names = {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    storage = str(getattr(settings, "MESSAGE_STORAGE", ""))
    if storage.endswith(("CookieStorage", "FallbackStorage")):
        names.add(CookieStorage.cookie_name)
    if "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE:
        names.add(settings.LANGUAGE_COOKIE_NAME)
    sources = [
        p
        for p in LOOKOUT_DIR.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    ]
    constants: dict[str, str] = {}
    used: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        constants.update(_constants(text))
        for literal, single, constant in SET_COOKIE.findall(text):
            used.add(literal or single or f"${constant}")
    # ... and every cookie the site's own scripts write (`document.cookie = "name=...`).
    for script in LOOKOUT_DIR.rglob("static/**/*.js"):
        used.update(JS_SET_COOKIE.findall(script.read_text(encoding="utf-8")))
    return names | {constants.get(n[1:], n) if n.startswith("$") else n for n in used}


JS_SET_COOKIE = re.compile(r"document\.cookie\s*=\s*[\"']([A-Za-z0-9_.-]+)=")


@titled("The cookie page lists exactly the cookies the site sets")
def cookie_inventory() -> CheckResult:
    """The cookie page lists every cookie the site can set, and nothing it cannot (C7.1)."""
    from lookout.consent.cookies import inventory

    listed = {spec.name for spec in inventory()}
    can_set = cookies_the_site_sets()
    unlisted = sorted(can_set - listed)
    never_set = sorted(listed - can_set)
    return CheckResult(
        "cookie_inventory",
        ("C7.1",),
        not unlisted and not never_set,
        f"{len(listed)} cookies listed, the same the site can set"
        if not unlisted and not never_set
        else f"unlisted: {unlisted or 'none'}; listed but never set: {never_set or 'none'}",
        {"listed": sorted(listed), "can_set": sorted(can_set), "unlisted": unlisted},
    )
