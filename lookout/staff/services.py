"""The administrator's writes: staff accounts and their roles (C4.3).

A new staff member gets an account without a usable password: they choose one through the
emailed reset link, then enrol their authenticator at first sign-in (C4.7). Roles change only
here, audited with the acting administrator; an administrator cannot change their own role, and
the last active administrator cannot be demoted, so the shop cannot lock itself out.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import EmailTaken, create_account, email_in_use
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
    """Open a staff account with `role`; no password until they set one by the reset link."""
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
