"""The administrator's writes: staff accounts and their roles (C4.3).

A new staff member gets an account without a usable password and an emailed invitation
(`accounts.invitations`): a single-use link that expires, which leads through choosing a
password and enrolling the authenticator (C4.7); the administrator can send a new one, which
revokes the earlier. Roles change only here, audited with the acting administrator; an
administrator cannot change their own role, and the last active administrator cannot be demoted
or deactivated, so the shop cannot lock itself out. A lost second factor is reset here (the
person enrols again at next sign-in) and a leaver is deactivated here; both end the person's
sessions at once (issue 19, findings 10 and 11).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from lookout.access.roles import Role
from lookout.accounts import invitations
from lookout.accounts.models import RecoveryCode, User
from lookout.accounts.services import EmailTaken, create_account, email_in_use
from lookout.accounts.sessions import end_sessions
from lookout.audit.services import record
from lookout.core.errors import Conflict, LookoutError


class StaffRefused(LookoutError):
    """Bad input for a staff change (400); nothing written."""


class StaffConflict(Conflict):
    """The change would break a rule (409); nothing written."""


def _role(role: str) -> Role:
    if role not in Role.values:
        raise StaffRefused("Choose one of the staff roles.")
    return Role(role)


def create_staff(*, email: str, role: str, actor: User) -> User:
    """Open a staff account with `role`, without a usable password: they choose one through the
    invitation (`invite`), or the console command sets the one typed at its prompt."""
    chosen = _role(role)
    address = (email or "").strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise StaffRefused("Type a valid email address, like name@example.com.") from exc
    if email_in_use(email=address):
        raise StaffConflict("An account with this email already exists.")
    with transaction.atomic():
        try:
            user = create_account(email=address, password=None, role=chosen)
        except EmailTaken as exc:
            raise StaffConflict("An account with this email already exists.") from exc
        record(
            actor=actor,
            action="staff.created",
            subject=user.subject,
            target=user,
            detail={"role": str(chosen)},
        )
    return user


@transaction.atomic
def change_role(*, user: User, role: str, actor: User) -> User:
    """Give a staff member another role. Customers are never turned into staff here."""
    chosen = _role(role)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.role:
        raise StaffRefused("Only staff accounts have a role; customers cannot be given one.")
    if locked.pk == actor.pk:
        raise StaffConflict("You cannot change your own role; ask another administrator.")
    if locked.role == chosen:
        return locked
    if locked.role == Role.ADMINISTRATOR:
        others = (
            User.objects.select_for_update()
            .filter(role=Role.ADMINISTRATOR, is_active=True)
            .exclude(pk=locked.pk)
        )
        if not others.exists():
            raise StaffConflict("This is the last administrator; appoint another one first.")
    before = locked.role
    locked.role = chosen
    locked.save(update_fields=["role"])
    record(
        actor=actor,
        action="staff.role_changed",
        subject=locked.subject,
        target=locked,
        detail={"from": before, "to": str(chosen)},
    )
    return locked


DISPLAY_NAME_MAX = 60


def set_display_name(*, user: User, display_name: str, actor: User) -> User:
    """Give a staff member the work name colleagues see in the back office and audit log
    (blank: back to role and short id). Audited; the entry names the account, not the name."""
    name = " ".join(str(display_name).split())
    if len(name) > DISPLAY_NAME_MAX:
        raise StaffRefused(f"A display name has at most {DISPLAY_NAME_MAX} characters.")
    if "@" in name:
        raise StaffRefused("A display name is a name, not an email address.")
    if not all(ch.isprintable() for ch in name):
        raise StaffRefused("A display name is plain text on one line.")
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or not locked.role:
            raise StaffRefused("Only staff accounts have a display name.")
        if locked.display_name == name:
            return locked
        locked.display_name = name
        locked.save(update_fields=["display_name"])
        record(
            actor=actor,
            action="staff.display_name_set",
            subject=locked.subject,
            fields=["accounts.User.display_name"],
            target=locked,
        )
    return locked


def _staff_other_than(actor: User | None, user: User, *, doing: str) -> User:
    """The staff member's row, locked; refused for customers and for the actor themself."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None or not locked.role:
        raise StaffRefused("Only staff accounts can be changed here.")
    if actor is not None and locked.pk == actor.pk:
        raise StaffConflict(f"You cannot {doing} yourself; ask another administrator.")
    return locked


def invite(*, user: User, actor: User, site_url: str) -> None:
    """Email the staff member a new invitation; any earlier one stops working.

    Only for someone who has not yet chosen a password: a person with one uses the password
    reset, so an invitation is never a second way into a set-up account."""
    with transaction.atomic():
        locked = _staff_other_than(actor, user, doing="invite")
        if not locked.is_active:
            raise StaffConflict("This account is deactivated.")
        if locked.has_usable_password():
            raise StaffConflict(
                "This person has chosen a password already; they can use “Forgot your password?”."
            )
        invitation, _ = invitations.issue(user=locked, site_url=site_url)
        record(
            actor=actor,
            action="staff.invited",
            subject=locked.subject,
            target=locked,
            detail={"expires": invitation.expires_at.isoformat(timespec="minutes")},
        )


def reset_second_factor(*, user: User, actor: User) -> int:
    """Forget the person's authenticator and recovery codes; they enrol again at next sign-in.

    Their sessions end at once (how many is returned): one of them may be the person who found
    the lost phone."""
    with transaction.atomic():
        locked = _staff_other_than(actor, user, doing="reset the second factor of")
        locked.totp_secret = None
        locked.totp_confirmed_at = None
        locked.totp_last_step = None
        locked.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        RecoveryCode.objects.filter(user=locked).delete()
        ended = end_sessions(user_pk=locked.pk)
        record(
            actor=actor,
            action="staff.second_factor_reset",
            subject=locked.subject,
            target=locked,
            detail={"sessions_ended": ended},
        )
    return ended


def deactivate(*, user: User, actor: User) -> int:
    """Stop a staff member from signing in and end their sessions at once (how many ended).

    Never oneself, never the last active administrator. Open invitations are revoked too."""
    with transaction.atomic():
        locked = _staff_other_than(actor, user, doing="deactivate")
        if not locked.is_active:
            return 0
        if locked.role == Role.ADMINISTRATOR:
            others = (
                User.objects.select_for_update()
                .filter(role=Role.ADMINISTRATOR, is_active=True)
                .exclude(pk=locked.pk)
            )
            if not others.exists():
                raise StaffConflict("This is the last administrator; appoint another one first.")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        locked.invitations.filter(used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        ended = end_sessions(user_pk=locked.pk)
        record(
            actor=actor,
            action="staff.deactivated",
            subject=locked.subject,
            target=locked,
            detail={"sessions_ended": ended},
        )
    return ended
