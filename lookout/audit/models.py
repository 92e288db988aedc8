"""The audit log (commitment C4.4): one append-only table of hash-chained entries.

Entries are chained in *lanes* (see `lookout.audit.services` and decision 0023): each lane is a
hash chain of its own, numbered 1, 2, 3, ... by `lane_seq`, so that writers in different lanes
do not wait for each other's commits. Entries written before lanes existed have no lane and form
the first chain, numbered by `seq`.

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
    # `seq` orders entries across lanes (roughly in time). Entries without a lane were numbered
    # last + 1 under one chain lock, so a hole among them means a deleted entry; laned entries
    # take `seq` from the database's sequence and are numbered without holes by `lane_seq`.
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
    # The chain the entry is on and its place there (1, 2, 3, ...). NULL for entries written
    # before lanes existed; nullable without default, like `targets`, so adding them rewrites
    # no row (SQLite would otherwise rebuild the table and drop its triggers).
    lane = models.SmallIntegerField(null=True, blank=True, default=None)
    lane_seq = models.BigIntegerField(null=True, blank=True, default=None)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["subject_ref", "seq"], name="audit_subject_seq"),
            models.Index(fields=["actor_ref", "seq"], name="audit_actor_seq"),
            # A breach's blast radius (lookout.incidents.radius): the granted reads of one
            # account, or of one role, inside a time window. Partial, so only reads pay for
            # them on insert.
            models.Index(
                fields=["actor_ref", "at"],
                name="audit_reveal_actor_at",
                condition=models.Q(action="reveal"),
            ),
            models.Index(
                fields=["actor_role", "at"],
                name="audit_reveal_role_at",
                condition=models.Q(action="reveal"),
            ),
        ]
        constraints = [
            # One entry per place in a lane: two writers can never fork a lane. Conditional, so
            # SQLite adds it as an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["lane", "lane_seq"],
                condition=models.Q(lane__isnull=False),
                name="audit_lane_position",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"
