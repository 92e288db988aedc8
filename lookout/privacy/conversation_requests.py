"""Privacy requests born in a customer-service conversation (issue 23, item 3; C6.1, C6.6).

Two things live here, in the privacy app because it owns subject requests and may use the
support app below it (support may not import privacy):

- A request made while one of the person's conversations is with the privacy officer is linked
  to that conversation (`link_to_conversations`, on every new request, whichever form made it),
  so the officer sees the conversation from the request and the request from the conversation.
- A visitor (no account, no order: someone who proved an email with a one-time code to ask about
  a product) asks to see or delete their data from their conversation's page. The identity
  check is a guest's (C6.1): a fresh one-time code to the email on record, typed back. The
  request then lands in the officer's queue with the same due date and statuses as any other,
  and the visitor follows it through a signed link of its own, which outlives the conversation
  (an erased visitor's request page still says what was done and gives the certificate
  reference). The access file itself is shown only in the browser session that typed the code,
  for the same hour a verified guest gets.

The visitor's pages are exempt from the cookie CSRF check like the conversation page they start
from (a visitor may have no cookies): the signed link and the emailed code are what a forged
request lacks, and code requests and guesses are counted per address and per network.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lookout.accounts import throttle
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError, NotFound
from lookout.privacy import access_file, services, verification
from lookout.privacy.models import Kind, Status, SubjectRequest, Via
from lookout.sharing.redaction import certificate_reference
from lookout.support import services as support
from lookout.support import visitors
from lookout.support.models import Conversation

VISITOR_KINDS = (Kind.ACCESS, Kind.DELETION)
SENT = "We have sent a 6-digit code to the email you gave us. It works for 15 minutes."


def link_to_conversations(
    sender: Any, instance: SubjectRequest, created: bool = False, **kwargs: Any
) -> None:
    """post_save of a subject request: link a new one to its person's conversations that are
    with the privacy officer (the conversation it resulted from)."""
    if created and not kwargs.get("raw"):
        support.link_new_request(
            subject=instance.subject, request_id=instance.pk, kind=instance.kind
        )


def connect() -> None:
    post_save.connect(
        link_to_conversations, sender=SubjectRequest, dispatch_uid="privacy.link_conversations"
    )


# --- a visitor's request, from their conversation --------------------------------------------


def _conversation(token: str) -> Conversation:
    return visitors.conversation_for_token(token)


def _page(
    request: HttpRequest, template: str, *, status: int = 200, **context: Any
) -> HttpResponse:
    return render(request, template, context, status=status)


def _lost(request: HttpRequest, message: str) -> HttpResponse:
    return _page(request, "privacy/problem.html", status=404, message=message)


def _kind(value: Any) -> str:
    kind = str(value or "")[:16]
    if kind not in VISITOR_KINDS:
        raise verification.NotVerified("Choose whether you want to see or delete your data.")
    return kind


@csrf_exempt
@require_POST
def visitor_start(request: HttpRequest, token: str) -> HttpResponse:
    """Email the code for a request from this conversation, then ask for it."""
    try:
        conversation = _conversation(token)
    except NotFound as missing:
        return _lost(request, missing.message)
    context: dict[str, Any] = {"token": token, "conversation": conversation}
    try:
        kind = _kind(request.POST.get("kind"))
        context["kind"] = kind
        challenge = visitors.start_request_code(
            conversation=conversation, kind=kind, ip=client_ip(request)
        )
    except LookoutError as error:
        response = _page(
            request,
            "privacy/visitor_code.html",
            status=error.status_code,
            error=error.message,
            **context,
        )
        if isinstance(error, throttle.Throttled):
            response["Retry-After"] = str(error.retry_after)
        return response
    return _page(request, "privacy/visitor_code.html", challenge=challenge.pk, sent=SENT, **context)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


@csrf_exempt
@require_POST
def visitor_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The code typed back: the request is made (or the open one of that kind is found),
    linked to the conversation, and the visitor is sent to follow it."""
    try:
        conversation = _conversation(token)
    except NotFound as missing:
        return _lost(request, missing.message)
    challenge_id = _uuid(request.POST.get("challenge"))
    code = str(request.POST.get("code", ""))[:20]
    context: dict[str, Any] = {"token": token, "conversation": conversation}
    try:
        challenge = throttle.guarded(
            buckets=throttle.guest_code_buckets(ip=client_ip(request)),
            check=lambda: _verified_or_none(challenge_id, code, conversation),
            what="code attempts",
        )
        if challenge is None:
            raise verification.NotVerified(visitors.WRONG_CODE)
        made = services.open_request(
            subject=challenge.visitor.subject, kind=challenge.kind, via=Via.GUEST, actor=None
        )
        support.link_request(conversation=conversation, request_id=made.pk, kind=made.kind)
    except LookoutError as error:
        response = _page(
            request,
            "privacy/visitor_code.html",
            status=429 if isinstance(error, throttle.Throttled) else error.status_code,
            error=error.message,
            challenge=challenge_id,
            **context,
        )
        if isinstance(error, throttle.Throttled):
            response["Retry-After"] = str(error.retry_after)
        return response
    # The session that typed the code may open the access file for an hour, as a guest's may.
    request.session.cycle_key()
    request.session[verification.GUEST_SESSION_KEY] = {
        "subject": str(made.subject),
        "order": "",
        "at": time.time(),
    }
    return redirect("privacy:visitor_request", token=visitors.request_token(made.pk))


def _verified_or_none(challenge_id: uuid.UUID | None, code: str, conversation: Conversation) -> Any:
    try:
        return visitors.verify_request_code(
            challenge_id=challenge_id, code=code, conversation=conversation
        )
    except visitors.NotVerified:
        return None


def _session_subject(request: HttpRequest) -> uuid.UUID | None:
    data = request.session.get(verification.GUEST_SESSION_KEY) or {}
    if not data or time.time() - float(data.get("at", 0)) > verification.GUEST_SESSION_MINUTES * 60:
        return None
    try:
        return uuid.UUID(str(data["subject"]))
    except (KeyError, ValueError):
        return None


@require_http_methods(["GET", "HEAD"])
def visitor_request(request: HttpRequest, token: str) -> HttpResponse:
    """A visitor's request: its status, due date, reasons and (deletion) certificate reference;
    the access file too in the session that typed the code."""
    try:
        request_id = visitors.request_id_for_token(token)
    except NotFound as missing:
        return _lost(request, missing.message)
    made = SubjectRequest.objects.filter(pk=request_id).first()
    if made is None:
        return _lost(request, "We could not find a request for that link.")
    context: dict[str, Any] = {"req": made, "visitor_token": token}
    if made.kind == Kind.DELETION:
        context["certificate_reference"] = certificate_reference(made.id)
    if made.kind == Kind.ACCESS and made.status == Status.COMPLETED and made.access_file:
        if _session_subject(request) == made.subject:
            context["document"] = access_file.open_access_file(request=made, actor=None)
            context["download_url"] = access_file.download_path(request=made)
            context["link_hours"] = access_file.link_hours()
        else:
            context["file_needs_code"] = True
    return render(request, "privacy/visitor_request.html", context)
