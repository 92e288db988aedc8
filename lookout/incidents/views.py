"""The privacy officer's incident pages (C4.8): list, record, blast radius, notices.

Only the privacy_officer role reaches them; anyone else signed in gets the same 404 as a missing
page (`lookout.staff.access.role_required`), staff after their second factor. People appear by
pseudonymous id; an email is shown only through the gate (`reveal`, purpose "legal"), which
audits the read first.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.core.purposes import Purpose
from lookout.incidents import selectors, services
from lookout.incidents.forms import IncidentForm
from lookout.incidents.models import Exposure, Incident
from lookout.staff.access import role_required

PER_PAGE = 100


def _incident(incident_id: uuid.UUID) -> Incident:
    found = Incident.objects.select_related("partner").filter(pk=incident_id).first()
    if found is None:
        raise Http404("No such incident.")
    return found


def _officer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@role_required(Role.PRIVACY_OFFICER)
@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.incidents())
    overdue = sum(1 for r in rows if r.overdue)
    return render(request, "incidents/list.html", {"rows": rows, "overdue": overdue})


@role_required(Role.PRIVACY_OFFICER)
def record(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.record_incident(
                officer=_officer(request),
                kind=data["kind"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                aware_at=data.get("aware_at"),
                measures=data["measures"],
                staff_subject=data.get("staff_subject") or None,
                role=data.get("role") or "",
                partner=data.get("partner"),
                key_version=data.get("key_version"),
                keystore_included=data.get("keystore_included", False),
                master_key_included=data.get("master_key_included", False),
                host_compromised=data.get("host_compromised", False),
            )
        except services.IncidentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Incident recorded: {incident.people} people affected.")
            return redirect("incidents:detail", incident_id=incident.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/record.html", {"form": form}, status=status)


def _detail(request: HttpRequest, incident: Incident, **extra: Any) -> HttpResponse:
    page = Paginator(selectors.exposures(incident), PER_PAGE).get_page(request.GET.get("page"))
    accounts = selectors.accounts_among([e.subject for e in page])
    rows = [(e, e.subject in accounts) for e in page]
    context = {
        "incident": incident,
        "summary": services.summary(incident),
        "notice": services.authority_notice(incident),
        "page": page,
        "rows": rows,
        **extra,
    }
    return render(request, "incidents/detail.html", context)


@role_required(Role.PRIVACY_OFFICER)
@require_safe
def detail(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    return _detail(request, _incident(incident_id))


@role_required(Role.PRIVACY_OFFICER)
@require_POST
def recompute(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = services.recompute(incident=_incident(incident_id), officer=_officer(request))
    messages.success(request, f"Computed again: {incident.people} people affected.")
    return redirect("incidents:detail", incident_id=incident.id)


@role_required(Role.PRIVACY_OFFICER)
@require_POST
def notify_people(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = _incident(incident_id)
    sent, unreachable = services.notify_people(incident=incident, officer=_officer(request))
    text = f"{sent} notice(s) posted to the people's inboxes."
    if unreachable:
        text += f" {unreachable} person(s) were erased and cannot be reached."
    messages.success(request, text)
    return redirect("incidents:detail", incident_id=incident.id)


@role_required(Role.PRIVACY_OFFICER)
@require_POST
def authority_notified(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = _incident(incident_id)
    try:
        services.mark_authority_notified(incident=incident, officer=_officer(request))
    except services.IncidentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Recorded: the supervisory authority was notified.")
    return redirect("incidents:detail", incident_id=incident.id)


@role_required(Role.PRIVACY_OFFICER)
@require_POST
def reveal_email(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    """One affected person's email, through the gate for the legal purpose (audited)."""
    incident = _incident(incident_id)
    try:
        subject = uuid.UUID(str(request.POST.get("subject", "")))
    except ValueError:
        return HttpResponse("Say whose email to show (a subject id).", status=400)
    if not Exposure.objects.filter(incident=incident, subject=subject).exists():
        return HttpResponse("That person is not among this incident's affected people.", status=400)
    account = User.objects.filter(subject=subject).first()
    if account is None:
        return HttpResponse("That person has no account (a guest buyer).", status=400)
    email = reveal(account, ["email"], purpose=Purpose.LEGAL, actor=_officer(request))["email"]
    return _detail(request, incident, revealed={"subject": subject, "email": email})
