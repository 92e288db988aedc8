"""The privacy officer's queue (C6.5) and decisions (C6.3, C6.4).

Only the privacy_officer role reaches these pages (others get the same 404 as a missing page);
staff pass their second factor first (accounts middleware). The officer sees a correction
request's words through the gate, never the access file.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.privacy import correction, restriction, selectors, services
from lookout.privacy.forms import DecisionForm, DeliveryCorrectionForm, ExtensionForm, LiftForm
from lookout.privacy.models import Kind, ProcessingRestriction, SubjectRequest
from lookout.sharing import redaction
from lookout.sharing.models import RedactionRequest


def _officer(request: HttpRequest) -> User:
    user = get_user(request)
    if not isinstance(user, User) or user.role != Role.PRIVACY_OFFICER:
        raise Http404("No such page.")
    return user


def _request(request_id: uuid.UUID) -> SubjectRequest:
    found = SubjectRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise Http404("No such request.")
    return found


@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    _officer(request)
    return _queue(request)


def _queue(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    rows = selectors.officer_queue()
    now = timezone.now()
    # Partners asked to forget an erased person and not confirmed yet (issue 26).
    redactions = [(r, r.is_overdue(now)) for r in redaction.unconfirmed()]
    context = {
        "rows": rows,
        "overdue": sum(1 for r in rows if r.overdue),
        "redactions": redactions,
        "redactions_overdue": sum(1 for _, late in redactions if late),
        # Restrictions of processing in force (Art. 18, C6.9), each with its lift form.
        "restrictions": list(restriction.in_force()),
        "lift_form": extra.pop("lift_form", None) or LiftForm(),
        **extra,
    }
    return render(request, "privacy/queue.html", context, status=status)


@require_POST
def confirm_redaction(request: HttpRequest, redaction_id: uuid.UUID) -> HttpResponse:
    """The officer records a partner's answer to a request sent by hand (issue 26)."""
    officer = _officer(request)
    found = RedactionRequest.objects.filter(pk=redaction_id).first()
    if found is None:
        raise Http404("No such redaction request.")
    try:
        redaction.record_confirmation(
            request=found, actor=officer, reference=request.POST.get("reference", "")
        )
    except LookoutError as error:
        return _queue(request, status=error.status_code, problem=error.message)
    return redirect("privacy:queue")


def _detail(
    request: HttpRequest, officer: User, req: SubjectRequest, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {
        "req": req,
        "decision_form": extra.pop("decision_form", None) or DecisionForm(),
        "extension_form": extra.pop("extension_form", None) or ExtensionForm(),
        **extra,
    }
    if req.kind == Kind.CORRECTION and req.details is not None:
        context["details"] = reveal(
            req, ["details"], purpose=Purpose.SUBJECT_REQUEST, actor=officer
        )["details"]
        from lookout.orders.models import Order, Status

        context["orders"] = Order.objects.filter(
            subject=req.subject, status__in=(Status.PLACED, Status.PAID, Status.PROCESSING)
        )
    return render(request, "privacy/queue_request.html", context, status=status)


@require_http_methods(["GET"])
def queue_request(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    officer = _officer(request)
    return _detail(request, officer, _request(request_id))


@require_POST
def approve(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    officer = _officer(request)
    req = _request(request_id)
    try:
        services.approve_deletion(request=req, actor=officer)
    except LookoutError as error:
        req.refresh_from_db()
        return _detail(request, officer, req, status=error.status_code, problem=error.message)
    return redirect("privacy:queue_request", req.id)


@require_POST
def decide(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    officer = _officer(request)
    req = _request(request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, officer, req, status=400, decision_form=form)
    try:
        services.decide_request(
            request=req,
            actor=officer,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
        )
    except LookoutError as error:
        return _detail(request, officer, req, status=error.status_code, problem=error.message)
    return redirect("privacy:queue_request", req.id)


@require_POST
def correct(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    officer = _officer(request)
    req = _request(request_id)
    form = DeliveryCorrectionForm(request.POST)
    if req.kind != Kind.CORRECTION or not form.is_valid():
        return _detail(request, officer, req, status=400, problem="Check the correction form.")
    values = {k: v for k, v in form.cleaned_data.items() if k != "order" and v}
    try:
        correction.correct_delivery(
            order_id=form.cleaned_data["order"], subject=req.subject, values=values, actor=officer
        )
    except LookoutError as error:
        return _detail(request, officer, req, status=error.status_code, problem=error.message)
    return _detail(request, officer, req, notice="The order's delivery details are corrected.")


@require_POST
def extend(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """The officer extends a request once, with a reason the person sees (C6.8)."""
    officer = _officer(request)
    req = _request(request_id)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        return _detail(request, officer, req, status=400, extension_form=form)
    try:
        services.extend_request(
            request=req,
            actor=officer,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    except LookoutError as error:
        req.refresh_from_db()
        return _detail(request, officer, req, status=error.status_code, problem=error.message)
    return redirect("privacy:queue_request", req.id)


@require_POST
def lift_restriction(request: HttpRequest, restriction_id: uuid.UUID) -> HttpResponse:
    """The officer lifts a restriction of processing, with a reason the person sees (C6.9)."""
    officer = _officer(request)
    found = ProcessingRestriction.objects.filter(pk=restriction_id).first()
    if found is None:
        raise Http404("No such restriction.")
    form = LiftForm(request.POST)
    if not form.is_valid():
        return _queue(
            request, status=400, problem="Choose the reason the person will see.", lift_form=form
        )
    try:
        restriction.lift_restriction(
            restriction=found, actor=officer, reason=form.cleaned_data["reason"]
        )
    except LookoutError as error:
        return _queue(request, status=error.status_code, problem=error.message)
    return redirect("privacy:queue")
