"""The privacy officer's audit log as a history (issue 22, item 2): each entry says when,
who (a staff member by the display name the administrator gave them, role and short id), what
in words, which data in words, whose data (a pseudonymous id) and why; filters by person, role,
action, purpose, whose data and date range; numbered pages.

It shows what the log holds and nothing more: pseudonymous ids, roles, staff display names,
codes put in words. No customer's personal data is read (nothing goes through the gate), so
opening it needs no purpose of its own; it is the privacy officer's alone (others get the back
office's 404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from lookout.access.roles import Role
from lookout.audit.models import ANONYMOUS, SYSTEM, AuditEntry, Outcome
from lookout.audit.words import ACTIONS, action_words, fields_words
from lookout.core.purposes import Purpose
from lookout.staff.access import role_required

PER_PAGE = 50
FILTERS = ("actor", "role", "action", "purpose", "subject", "since", "until")
_COLUMNS = (
    "seq",
    "at",
    "actor_ref",
    "actor_role",
    "action",
    "subject_ref",
    "fields",
    "purpose",
    "outcome",
)


@dataclass(frozen=True)
class Row:
    seq: int
    at: datetime
    who: str
    actor_ref: str
    role: str
    action: str
    failed: bool
    subject_ref: str
    fields: str
    purpose: str
    actor_query: str  # this page's filters, narrowed to this entry's actor
    subject_query: str  # ... or to whose data it was


def _date(value: str, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"“{name}” is not a date: use the date picker or YYYY-MM-DD.")
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered(wanted: dict[str, str]) -> tuple[QuerySet[AuditEntry], list[str]]:
    """The entries the filters ask for, newest first, and what was wrong with the filters (a
    filter that cannot be read is left out and said)."""
    problems: list[str] = []
    entries = AuditEntry.objects.order_by("-seq")
    if wanted["actor"]:
        entries = entries.filter(actor_ref=wanted["actor"])
    if wanted["role"]:
        if wanted["role"] in Role.values:
            entries = entries.filter(actor_role=wanted["role"])
        else:
            problems.append("That role does not exist.")
    if wanted["action"]:
        if wanted["action"] in ACTIONS:
            entries = entries.filter(action=wanted["action"])
        else:  # a family of actions ("order", "staff.") or one the list does not name
            entries = entries.filter(action__startswith=wanted["action"])
    if wanted["purpose"]:
        if wanted["purpose"] in Purpose.values:
            entries = entries.filter(purpose=wanted["purpose"])
        else:
            problems.append("That purpose does not exist.")
    if wanted["subject"]:
        entries = entries.filter(subject_ref=wanted["subject"])
    since = _date(wanted["since"], "From", problems)
    until = _date(wanted["until"], "To", problems)
    if since is not None:
        entries = entries.filter(at__gte=_start_of(since))
    if until is not None:
        entries = entries.filter(at__lt=_start_of(until + timedelta(days=1)))
    if since is not None and until is not None and until < since:
        problems.append("“To” is before “From”: no entry can match.")
    return entries, problems


def _staff_names(refs: set[str]) -> dict[str, str]:
    """Staff accounts among the page's actors: display name, role and short id (staff data)."""
    from lookout.accounts.models import User

    ids = []
    for ref in refs:
        try:
            ids.append(uuid.UUID(ref))
        except ValueError:
            continue
    return {
        str(u.subject): u.staff_label
        for u in User.objects.filter(subject__in=ids)
        .exclude(role="")
        .only("subject", "role", "display_name")
    }


def _who(entry: AuditEntry, staff: dict[str, str]) -> str:
    if entry.actor_ref == SYSTEM:
        return "The store (automatic)"
    if entry.actor_ref == ANONYMOUS:
        return "A visitor"
    if entry.actor_ref in staff:
        return staff[entry.actor_ref]
    if entry.actor_ref == entry.subject_ref:
        return "The person themselves"
    return "A customer account"


def rows(page: Page[AuditEntry], wanted: dict[str, str]) -> list[Row]:
    entries = list(page.object_list)
    staff = _staff_names({e.actor_ref for e in entries})
    roles = dict(Role.choices)
    purposes = dict(Purpose.choices)
    return [
        Row(
            seq=e.seq,
            at=e.at,
            who=_who(e, staff),
            actor_ref=e.actor_ref,
            role=str(roles.get(e.actor_role, "")) if e.actor_role not in ("", SYSTEM) else "",
            action=action_words(e.action),
            failed=e.outcome in (Outcome.REFUSED, Outcome.FAILED),
            subject_ref=e.subject_ref,
            fields=fields_words(e.fields) if e.fields else "",
            purpose=str(purposes.get(e.purpose, e.purpose.replace("_", " "))),
            actor_query=_query(wanted, actor=e.actor_ref),
            subject_query=_query(wanted, subject=e.subject_ref),
        )
        for e in entries
    ]


def _query(wanted: dict[str, str], **changes: Any) -> str:
    query = QueryDict(mutable=True)
    for key, value in {**wanted, **changes}.items():
        if value not in ("", None):
            query[key] = str(value)
    return query.urlencode()


def staff_choices() -> list[tuple[str, str]]:
    from lookout.accounts.models import User

    staff = sorted(
        (
            (str(u.subject), u.staff_label)
            for u in User.objects.exclude(role="").only("subject", "role", "display_name")
        ),
        key=lambda choice: choice[1].lower(),
    )
    return [(SYSTEM, "The store (automatic)"), *staff]


@role_required(Role.PRIVACY_OFFICER)
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    wanted = {k: str(request.GET.get(k, "")).strip()[:64] for k in FILTERS}
    entries, problems = filtered(wanted)
    paginator = Paginator(entries.only(*_COLUMNS), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": rows(page, wanted),
        "wanted": wanted,
        "problems": problems,
        "roles": Role.choices,
        "purposes": Purpose.choices,
        "actions": sorted(ACTIONS.items(), key=lambda item: item[1]),
        "people": staff_choices(),
        "page_links": [
            (n, _query(wanted, page=n)) if isinstance(n, int) else (n, "")
            for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        ],
        "previous_query": _query(wanted, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_query": _query(wanted, page=page.next_page_number()) if page.has_next() else "",
        "filtering": any(wanted.values()),
    }
    return render(request, "staff/audit_log.html", context, status=400 if problems else 200)
