"""Reads for the privacy officer's incident pages and the self-audit."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from lookout.access.roles import STAFF_ROLES
from lookout.accounts.models import User
from lookout.incidents.models import Exposure, Incident
from lookout.vault.models import DataKey


def incidents() -> QuerySet[Incident]:
    """Every incident, the one due first on top (open ones before those already notified)."""
    return Incident.objects.select_related("partner").order_by(
        "authority_notified_at", "due_at", "recorded_at"
    )


def overdue_incidents() -> QuerySet[Incident]:
    """Incidents whose authority notice is past its 72-hour deadline and not sent (C4.8)."""
    return Incident.objects.filter(
        authority_notified_at__isnull=True, due_at__lt=timezone.now()
    ).order_by("due_at")


def exposures(incident: Incident) -> QuerySet[Exposure]:
    return Exposure.objects.filter(incident=incident).order_by("subject")


def staff_accounts() -> list[tuple[str, str]]:
    """(pseudonymous id, label) of every staff account, active or not: no email, no name."""
    rows = User.objects.filter(role__in=STAFF_ROLES).order_by("role", "subject")
    return [
        (
            str(u.subject),
            f"{u.get_role_display()} · {str(u.subject)[:8]}{'' if u.is_active else ' (closed)'}",
        )
        for u in rows.only("subject", "role", "is_active")
    ]


def key_versions() -> list[int]:
    """The master key ids that wrap at least one data key now."""
    return sorted(set(DataKey.objects.values_list("master_key_id", flat=True).distinct()))


def accounts_among(subjects: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The accounts of these people (guests have none), by subject."""
    return {u.subject: u for u in User.objects.filter(subject__in=subjects)}
