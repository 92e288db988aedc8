"""Subject requests (C6): opening them once the requester is verified, and deciding them.

Every write runs in one transaction with its audit entry. Requests are found by the person's
pseudonymous subject id; a second open request of the same kind returns the first one instead of
piling up. Deletion requests are reviewed by the privacy officer, or approved by the operator's
rule `LOOKOUT_DELETION_AUTO_APPROVE` when nothing holds them back (C6.4).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.access.roles import Role
from lookout.audit.services import record
from lookout.core.errors import Conflict, Forbidden, LookoutError
from lookout.core.purposes import Purpose
from lookout.privacy.erasure import erase_subject, partner_records, partners_told
from lookout.privacy.holds import holds_for
from lookout.privacy.models import (
    MAX_EXTENSION_DAYS,
    OPEN_STATUSES,
    ExtensionReason,
    Kind,
    Reason,
    Status,
    SubjectRequest,
    Via,
    due_days,
)
from lookout.privacy.verification import GuestIdentity, reauthenticate
from lookout.sharing.redaction import open_redactions
from lookout.vault.routers import KEYSTORE

if TYPE_CHECKING:
    from lookout.accounts.models import User

MAX_DETAILS = 2000


def auto_approve_deletions() -> bool:
    return bool(getattr(settings, "LOOKOUT_DELETION_AUTO_APPROVE", False))


def _clean_details(kind: str, details: str) -> str | None:
    details = (details or "").strip()
    if kind != Kind.CORRECTION:
        return None
    if not details:
        raise LookoutError("Tell us what is wrong and what it should say.")
    if len(details) > MAX_DETAILS:
        raise LookoutError(f"Please keep it under {MAX_DETAILS} characters.")
    return details


def open_request(
    *,
    subject: uuid.UUID,
    kind: str,
    via: str,
    actor: User | None,
    order_ref: uuid.UUID | None = None,
    details: str = "",
) -> SubjectRequest:
    """Record a verified request and start on it. Callers verify first (C6.1)."""
    if kind not in Kind.values:
        raise LookoutError("Choose what you are asking for: see, correct or delete your data.")
    text = _clean_details(kind, details)
    with transaction.atomic():
        existing = SubjectRequest.objects.filter(
            subject=subject, kind=kind, status__in=OPEN_STATUSES
        ).first()
        if existing is not None and kind != Kind.CORRECTION:
            return existing
        now = timezone.now()
        request = SubjectRequest(
            subject=subject,
            kind=kind,
            via=via,
            order_ref=order_ref,
            created_at=now,
            verified_at=now,
            due_at=now + timedelta(days=due_days()),
        )
        if text is not None:
            request.details = text
        if kind == Kind.ACCESS:
            request.status = Status.IN_PROGRESS
        request.save(force_insert=True)
        record(
            actor=actor,
            action=f"privacy.request_{kind}",
            subject=subject,
            target=request,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={"via": via},
        )
        if kind == Kind.ACCESS:
            from lookout.privacy.access_file import build_access_file_task

            request_id = str(request.id)
            transaction.on_commit(lambda: build_access_file_task.enqueue(request_id))
    if kind == Kind.DELETION:
        request = consider_deletion(request=request)
    request.refresh_from_db()
    return request


def request_as_user(
    *, user: User, password: str, kind: str, details: str = "", ip: str = ""
) -> SubjectRequest:
    """A signed-in person's request: the password is asked again first (C6.1), through the
    attempt limiter (per account and per client network `ip`)."""
    reauthenticate(user=user, password=password, ip=ip)
    return open_request(
        subject=user.subject, kind=kind, via=Via.ACCOUNT, actor=user, details=details
    )


def request_as_guest(*, identity: GuestIdentity, details: str = "") -> SubjectRequest:
    """A guest's request, for the order whose email they proved with a code (C6.1)."""
    return open_request(
        subject=identity.subject,
        kind=identity.kind,
        via=Via.GUEST,
        actor=None,
        order_ref=identity.order_ref,
        details=details,
    )


# --- deletion ------------------------------------------------------------------------------


def consider_deletion(*, request: SubjectRequest) -> SubjectRequest:
    """Put the stated holds on the request; erase at once if the operator's rule says so."""
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.kind != Kind.DELETION or not request.is_open:
            return request
        holds = holds_for(request.subject)
        request.holds = [h.as_json() for h in holds]
        request.status = Status.ON_HOLD if any(h.blocking for h in holds) else Status.RECEIVED
        request.save(update_fields=["holds", "status"])
    if request.status == Status.RECEIVED and auto_approve_deletions():
        return _erase(request=request, actor=None)
    return request


def _require_officer(actor: User) -> None:
    if getattr(actor, "role", "") != Role.PRIVACY_OFFICER:
        raise Forbidden("Only the privacy officer decides on privacy requests.")


def approve_deletion(*, request: SubjectRequest, actor: User) -> SubjectRequest:
    """The officer approves. A blocking hold that still applies delays it, with its reason."""
    _require_officer(actor)
    request = consider_deletion(request=request)
    if request.status == Status.ON_HOLD:
        raise Conflict(
            "This request is on hold: " + " ".join(request.hold_reasons()) + " It can be "
            "approved once the hold clears."
        )
    if request.status != Status.RECEIVED:
        raise Conflict("This request has already been decided.")
    return _erase(request=request, actor=actor)


def _erase(*, request: SubjectRequest, actor: User | None) -> SubjectRequest:
    """Erase the person, then close the request with the partners to follow up with."""
    with transaction.atomic(using=KEYSTORE), transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != Status.RECEIVED:
            return request
        partners = partners_told(request.subject)
        records = partner_records(request.subject)
        counts = erase_subject(subject=request.subject)
        now = timezone.now()
        # Each partner told about the person is asked to forget them, and the person gets a
        # certificate (issue 26): both commit with the erasure.
        open_redactions(
            subject=request.subject,
            request_id=request.pk,
            key_destroyed_at=now,
            records=records,
        )
        request.partners = partners
        request.status = Status.COMPLETED
        request.decision_reason = Reason.DONE
        request.decided_at = now
        request.decided_by_role = str(actor.role) if actor is not None else "system"
        # Not `details` / `access_file`: the erasure has just emptied them.
        request.save(
            update_fields=["partners", "status", "decision_reason", "decided_at", "decided_by_role"]
        )
        record(
            actor=actor,
            action="privacy.erased",
            subject=request.subject,
            target=request,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={name: count for name, count in counts.items()} | {"partners": len(partners)},
        )
    return request


# --- refusals and closing ------------------------------------------------------------------


def decide_request(
    *, request: SubjectRequest, actor: User, outcome: str, reason: str
) -> SubjectRequest:
    """The officer closes a correction (done or refused) or refuses a deletion, always with a
    stated reason from the fixed list, which the person sees (C6.4)."""
    _require_officer(actor)
    if outcome not in (Status.COMPLETED, Status.REFUSED):
        raise LookoutError("Choose whether the request was carried out or refused.")
    if reason not in Reason.values or (outcome == Status.REFUSED and reason == Reason.DONE):
        raise LookoutError("Choose the reason the person will see.")
    if outcome == Status.COMPLETED and request.kind == Kind.DELETION:
        raise LookoutError("Approve a deletion with the approve button: it erases the data.")
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_open or request.kind == Kind.ACCESS:
            raise Conflict("This request has already been decided.")
        request.status = outcome
        request.decision_reason = reason if outcome == Status.REFUSED else Reason.DONE
        request.decided_at = timezone.now()
        request.decided_by_role = str(actor.role)
        request.save(update_fields=["status", "decision_reason", "decided_at", "decided_by_role"])
        record(
            actor=actor,
            action=f"privacy.request_{outcome}",
            subject=request.subject,
            target=request,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={"reason": str(request.decision_reason)},
        )
    return request


# --- one extension, with a reason (GDPR Art. 12(3), C6.8) ----------------------------------


def _day(moment: datetime | None) -> str:
    """A date as a person reads it in a message ("7 December 2026"), in UTC as the site shows."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def extend_request(
    *,
    request: SubjectRequest,
    actor: User,
    days: int,
    reason: str,
    now: datetime | None = None,
) -> SubjectRequest:
    """The officer moves an open request's due date later, once, by at most 60 days, with a
    reason from the fixed list. The person sees the new date and the reason on their request
    and gets a message in their inbox; the queue and the self-audit go by the new date."""
    from lookout.inbox.services import send_message

    _require_officer(actor)
    if reason not in ExtensionReason.values:
        raise LookoutError("Choose the reason the person will see for the extension.")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise LookoutError(
            f"An extension is 1 to {MAX_EXTENSION_DAYS} days: the law allows at most two more "
            "months, once."
        )
    now = now or timezone.now()
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_open:
            raise Conflict("This request has already been decided; there is nothing to extend.")
        if request.extended_at is not None:
            raise Conflict(
                "This request was already extended once, on "
                f"{request.extended_at:%Y-%m-%d}; a request can be extended only once. "
                f"Answer it by {request.due_at:%Y-%m-%d}."
            )
        if now > request.due_at:
            raise Conflict(
                "This request is already overdue: the person had to be told of an extension "
                "before its due date. Answer it now."
            )
        request.due_before_extension = request.due_at
        request.due_at = request.due_at + timedelta(days=days)
        request.extended_at = now
        request.extension_reason = reason
        request.save(
            update_fields=["due_before_extension", "due_at", "extended_at", "extension_reason"]
        )
        record(
            actor=actor,
            action="privacy.request_extended",
            subject=request.subject,
            target=request,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={"days": days, "reason": reason, "due_at": request.due_at.isoformat()},
        )
        send_message(
            subject=request.subject,
            kind="account",
            title="We need more time to answer your request",
            body=(
                f"Your request ({request.get_kind_display().lower()}, made on "
                f"{_day(request.created_at)}) will now be answered by "
                f"{_day(request.due_at)} instead of {_day(request.due_before_extension)}. "
                f"Why: {ExtensionReason(reason).label} A request can be extended only once."
            ),
            dedupe_key=f"privacy-extension:{request.pk}",
        )
    return request
