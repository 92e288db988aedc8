"""Small helpers shared by the audit tests."""

from __future__ import annotations

from lookout.accounts.models import User
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.core.purposes import Purpose


def record_reveals(*, actor: User, subject: User, count: int) -> list[AuditEntry]:
    return [
        record(
            actor=actor,
            action="reveal",
            subject=subject.subject,
            fields=["accounts.User.email"],
            purpose=Purpose.SUBJECT_REQUEST,
            outcome="granted",
            target=subject,
            detail={"n": n, "bulk": False, "note": "café"},
        )
        for n in range(count)
    ]
