"""The audit log (commitment C4.4): one append-only, hash-chained table.

Each entry says who (a pseudonymous subject id or "system"), whose data (a pseudonymous subject
id), which fields (names, never values), which records (`target`, and for a bulk read `targets`:
the id of every record read), for which purpose, with which outcome and when. Entries
are only ever added by `lookout.audit.services.record`; database triggers refuse UPDATE and
DELETE, and `lookout.audit.verify.verify_chain` detects any change made behind their back.
"""

from __future__ import annotations

import uuid

from django.db import models


class Outcome(models.TextChoices):
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    OK = "ok", "OK"
    FAILED = "failed", "Failed"


SYSTEM = "system"
ANONYMOUS = "anonymous"
GENESIS_HASH = "0" * 64


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads other apps need: a person's entries (access requests), a staff member's actions."""

    def for_subject(self, subject: uuid.UUID | str) -> AuditEntryQuerySet:
        return self.filter(subject_ref=str(subject))

    def by_actor(self, actor_subject: uuid.UUID | str) -> AuditEntryQuerySet:
        return self.filter(actor_ref=str(actor_subject))


class AuditEntry(models.Model):
    # `seq` is assigned by `record()` as last + 1 under the chain lock, never by a database
    # sequence: a rolled-back write must not leave a hole, so any hole means a deleted entry.
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor_ref = models.CharField(max_length=36)
    actor_role = models.CharField(max_length=32, blank=True, default="")
    action = models.CharField(max_length=64)
    subject_ref = models.CharField(max_length=36, blank=True, default="")
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=32, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    target = models.CharField(max_length=200, blank=True, default="")
    # Every record a bulk read named (their random UUIDs; `target` says which model and how
    # many). NULL when the entry names no list: every entry written before this column existed,
    # and most others. Nullable without a default so adding it rewrites no row of the
    # append-only table (and does not rebuild it on SQLite, which would drop its triggers).
    targets = models.JSONField(null=True, blank=True, default=None)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["subject_ref", "seq"], name="audit_subject_seq"),
            models.Index(fields=["actor_ref", "seq"], name="audit_actor_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"
