"""People with an account: customers (no role) and staff (one role each)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from lookout.access.roles import Role
from lookout.vault.blind_index import email_index
from lookout.vault.fields import EncryptedField


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in looks a person up by the blind index of the email they typed."""
        return self.get(email_index=email_index(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        from lookout.accounts.services import create_account

        return create_account(email=email, password=password, **extra)  # type: ignore[arg-type]

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", Role.ADMINISTRATOR)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(unique=True, editable=False)
    email = EncryptedField(subject_field="subject")
    email_index = models.CharField(max_length=64, unique=True, null=True, editable=False)
    role = models.CharField(max_length=32, choices=Role.choices, blank=True, default="")
    # Staff only: the work name the administrator gives a staff member, shown to colleagues in
    # the back office and the audit log instead of an id. Blank for customers.
    display_name = models.CharField(max_length=60, blank=True, default="")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    totp_secret = EncryptedField(subject_field="subject", null=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The newest TOTP time step accepted (RFC 6238 5.2): a code of that step or an older one is
    # refused, so a used code is never accepted twice, whichever process checks it.
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        # Never the email: this string lands in the admin log and in error reports.
        return f"{self.get_role_display() or 'Customer'} {str(self.subject)[:8]}"

    @property
    def staff_label(self) -> str:
        """How the back office names a staff member: their display name, or role and short id."""
        short = f"{self.get_role_display() or 'Customer'} · {str(self.subject)[:8]}"
        return f"{self.display_name} ({short})" if self.display_name else short

    @property
    def is_staff(self) -> bool:  # type: ignore[override]
        """Back-office access: every staff role; the Django admin is for catalog and admins."""
        return bool(self.role)

    def clean(self) -> None:
        # AbstractBaseUser.clean() normalises the username field; ours is a digest.
        pass


class MarketingChoice(models.Model):
    """Each opt-in or opt-out, with the exact wording the person was shown (C3.6, C3.7)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="marketing_choices")
    opted_in = models.BooleanField()
    wording = models.TextField()
    source = models.CharField(max_length=32)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"marketing {'in' if self.opted_in else 'out'} at {self.at:%Y-%m-%d}"


class RecoveryCode(models.Model):
    """One of a staff member's one-time recovery codes, usable once instead of a TOTP code.

    Only a keyed digest (`blind_index`, HMAC under the master keyset kept outside the database)
    is stored: the codes are random (50 bits), so a slow password hash would add no strength,
    while the keyed digest can be looked up by its unique index and cannot be checked against
    guesses by someone who has the database but not the key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {'used' if self.used_at else 'unused'}"


class StaffInvitation(models.Model):
    """A single-use link for a new staff member to choose a password (issue 19, finding 10).

    Only the keyed digest of the token is stored. A newer invitation for the same person revokes
    the older ones; accepting one sets `used_at`, and an expired, used or revoked one opens
    nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation of {self.created_at:%Y-%m-%d}"


class AttemptCount(models.Model):
    """One counter of the attempt limiter (`accounts.throttle`): how many attempts one bucket
    (an account, a client network, ...) has made in one window.

    A table of its own, not the cache: the counter is raised in one statement
    (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) that is atomic on SQLite and PostgreSQL,
    whereas Django's database cache does `incr` as a read then a write (two parallel attempts
    can both read 4 and both write 5) and culls entries when it grows past its size. `bucket`
    is a keyed digest and the window number, so the table never holds an email or an address.
    Rows are deleted once their window has ended.
    """

    bucket = models.CharField(primary_key=True, max_length=100)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"attempts {self.count}"
