"""Each run of the live self-audit (`lookout audit run`), kept as the evidence it produced."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class SelfAuditRun(models.Model):
    """One self-audit: when, whether everything passed, and each check's result and evidence.

    `results` holds counts, table and column names, ids and dates (see
    `lookout.compliance.selfaudit.result.CheckResult`), never a personal value.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ok = models.BooleanField()
    results = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"self-audit at {self.at:%Y-%m-%d %H:%M} ({'ok' if self.ok else 'failing'})"
