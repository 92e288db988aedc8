"""Personal-data breach incidents and their computed blast radius (issue 26, C4.8).

An `Incident` is what the privacy officer records: a time window and what was compromised (a
staff account, a role, a partner, a master key version, or a backup of the main database).
`lookout.incidents.services.compute` fills in one `Exposure` row per affected person: which of
their fields were exposed in full, which only masked, and which sealed fields were not exposed.
Both hold pseudonymous subject ids and field NAMES, never values.

The supervisory authority must be told within 72 hours of the store becoming aware (GDPR
Art. 33(1)): `due_at` is `aware_at` + 72 h, and an incident is overdue while the authority has
not been notified after that.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from lookout.sharing.models import Partner

NOTIFY_WITHIN = timedelta(hours=72)


class Kind(models.TextChoices):
    STAFF_ACCOUNT = "staff_account", "A staff account"
    ROLE = "role", "Every account of a staff role"
    PARTNER = "partner", "A partner"
    KEY_VERSION = "key_version", "A master key version"
    BACKUP = "backup", "A host or database backup"


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    # When the store became aware of the breach: the 72 hours run from here (Art. 33(1)).
    aware_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    # What was compromised: exactly one of these, by kind.
    staff_subject = models.UUIDField(null=True, blank=True)  # the account's pseudonymous id
    role = models.CharField(max_length=32, blank=True, default="")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key_version = models.BigIntegerField(null=True, blank=True)  # a master key id
    # For a backup: what else it held, and whether the running host itself was compromised.
    keystore_included = models.BooleanField(default=False)
    master_key_included = models.BooleanField(default=False)
    host_compromised = models.BooleanField(default=False)
    # The officer's words for the notice (the form asks them to name nobody).
    measures = models.TextField(max_length=2000)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.UUIDField()
    computed_at = models.DateTimeField(null=True, blank=True)
    people = models.IntegerField(default=0)
    records = models.IntegerField(default=0)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    people_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")),
                name="incidents_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"incident {str(self.id)[:8]} ({self.get_kind_display()})"

    @property
    def is_open(self) -> bool:
        return self.authority_notified_at is None

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and (now or timezone.now()) > self.due_at

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class Exposure(models.Model):
    """One person's part in an incident: field names exposed (in full or masked) and withheld."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exposures")
    subject = models.UUIDField()
    exposed = models.JSONField(default=list)  # ["accounts.User.email", ...] read in full
    masked = models.JSONField(default=list)  # read only masked (j•••@e•••.com)
    withheld = models.JSONField(default=list)  # sealed, present, and not exposed
    metadata = models.JSONField(default=list)  # blind indexes, hashes, plain columns
    sources = models.JSONField(default=list)  # ["audit", "disclosure", "key", "backup"]
    records = models.IntegerField(default=0)  # audit entries / disclosures / rows behind it
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "subject"], name="incidents_one_per_person")
        ]

    def __str__(self) -> str:
        return f"exposure of {str(self.subject)[:8]}"
