"""Invitations: how a new staff member gets their first password (issue 19, finding 10).

A staff account is opened without a usable password, so the password reset (which skips such
accounts, rightly: a reset link must not be a way into an account nobody has set up) never
reached new staff. Instead the administrator's action emails an invitation: a random token
(256 bits) of which only a keyed digest is stored, valid for `LOOKOUT_STAFF_INVITATION_HOURS`
(72 by default), used once. Sending a new one revokes the earlier ones. The link leads to
choosing a password, then signs the person in, and the second-factor middleware takes them
straight to enrolling their authenticator app (C4.7).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lookout.access.gate import reveal
from lookout.accounts.models import StaffInvitation, User
from lookout.audit.services import record
from lookout.core.purposes import Purpose
from lookout.vault.blind_index import blind_index


def _digest(token: str) -> str:
    return blind_index(token, domain="staff-invitation")


def invitation_hours() -> int:
    """How long an invitation link works (the setting, 72 hours by default)."""
    return int(getattr(settings, "LOOKOUT_STAFF_INVITATION_HOURS", 72))


@transaction.atomic
def issue(*, user: User, site_url: str) -> tuple[StaffInvitation, str]:
    """Revoke the person's open invitations, make a new one and email its link.

    The email carries the link and how long it works, nothing about the person; the address is
    read through the gate (purpose ACCOUNT_NOTICE, the system writing to the person), audited.
    It is sent inside the transaction: if sending fails, no invitation (and, from the back
    office, no account) is left that nobody received. Returns the invitation and its token (the
    token is stored nowhere)."""
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        user=user, digest=_digest(token), expires_at=now + timedelta(hours=invitation_hours())
    )
    to = reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if to:
        link = site_url.rstrip("/") + reverse("accounts:invitation", kwargs={"token": token})
        body = render_to_string(
            "accounts/email/staff_invitation.txt", {"link": link, "hours": invitation_hours()}
        )
        EmailMessage(
            subject="You are invited to the Lookout back office",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        ).send()
    return invitation, token


def find_open(*, token: str) -> StaffInvitation | None:
    """The invitation this token opens, if it is unused, not revoked and not expired, and its
    person is still an active staff member."""
    return (
        StaffInvitation.objects.select_related("user")
        .filter(
            digest=_digest(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
            user__closed_at__isnull=True,
        )
        .exclude(user__role="")
        .first()
    )


@transaction.atomic
def accept(*, token: str, password: str) -> User | None:
    """Set the person's first password and use the invitation up; None if the link no longer
    opens anything. The conditional UPDATE makes two submissions of one link set one password."""
    invitation = find_open(token=token)
    if invitation is None:
        return None
    claimed = StaffInvitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(used_at=timezone.now())
    if not claimed:
        return None
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=user, action="staff.invitation_accepted", subject=user.subject, target=user)
    return user
