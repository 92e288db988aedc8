"""Reads on policies: the version in force, the archive, what to announce (C8.1, C8.2, C8.3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from lookout.core.rows import columns, read
from lookout.policies.models import Document, PolicyAcceptance, PolicyVersion


def notice_days() -> int:
    """How long before a material change takes effect customers must be told (C8.4)."""
    return int(getattr(settings, "LOOKOUT_POLICY_NOTICE_DAYS", 30))


def announce_days() -> int:
    """How long a newly posted version is announced on the policy pages (C8.2)."""
    return int(getattr(settings, "LOOKOUT_POLICY_ANNOUNCE_DAYS", 30))


def is_document(value: str) -> bool:
    return value in Document.values


def versions_of(*, document: str) -> QuerySet[PolicyVersion]:
    """Every posted version, newest first: none is ever removed (C8.1)."""
    return PolicyVersion.objects.filter(document=document).order_by("-number")


def version(*, document: str, number: int) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(document=document, number=number).first()


def previous_of(v: PolicyVersion) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(document=v.document, number__lt=v.number)
        .order_by("-number")
        .first()
    )


def in_force(*, document: str, at: datetime | None = None) -> PolicyVersion | None:
    """The version in force at `at`: the newest one whose effective date has come (C8.3)."""
    return (
        PolicyVersion.objects.filter(document=document, effective_at__lte=at or timezone.now())
        .order_by("-number")
        .first()
    )


# Each document's newest version whose effective date has come, by a correlated subquery that
# both SQLite and PostgreSQL answer from the (document, number) index. Written out rather than
# built with the ORM: every order asks, and compiling the ORM's subquery cost more CPU than the
# query itself.
_IN_FORCE = (
    "FROM policies_policyversion AS v WHERE v.effective_at <= %s AND v.number = "
    "(SELECT MAX(w.number) FROM policies_policyversion AS w "
    "WHERE w.document = v.document AND w.effective_at <= %s)"
)
_VERSION_FIELDS = [field.name for field in PolicyVersion._meta.concrete_fields]
_CURRENT_SQL = f"SELECT {columns(PolicyVersion, table_alias='v')} {_IN_FORCE}"  # nosec B608 (model names)
_CURRENT_IDS_SQL = f"SELECT v.document, v.id {_IN_FORCE}"  # nosec B608


def current_version_ids(*, at: datetime | None = None) -> dict[str, uuid.UUID]:
    """The id of each document's version in force at `at` (now by default), keyed by document.

    Why apart from `current_versions`: every order records which versions it was placed under,
    and for that needs only their ids, not the texts of every policy in force."""
    at = at or timezone.now()
    key = PolicyVersion._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_IDS_SQL, [at, at])
        found = {document: key.to_python(pk) for document, pk in cursor.fetchall()}  # type: ignore[union-attr]
    return {document: found[document] for document in Document.values if document in found}


def current_versions(*, at: datetime | None = None) -> dict[str, PolicyVersion]:
    """The version of each document in force at `at` (now by default), keyed by document."""
    at = at or timezone.now()
    rows = read(PolicyVersion, _CURRENT_SQL, [at, at], fields=_VERSION_FIELDS)
    found = {v.document: v for v in rows}
    return {document: found[document] for document in Document.values if document in found}


def upcoming(*, document: str, at: datetime | None = None) -> list[PolicyVersion]:
    """Posted versions that have not taken effect yet, oldest first."""
    return list(
        PolicyVersion.objects.filter(
            document=document, effective_at__gt=at or timezone.now()
        ).order_by("number")
    )


@dataclass(frozen=True)
class Announcement:
    version: PolicyVersion
    upcoming: bool

    @property
    def document(self) -> str:
        return self.version.document


def announcements(*, at: datetime | None = None) -> list[Announcement]:
    """New versions to announce on the policy pages (C8.2): every version not yet in force, and
    every version posted in the last `announce_days()` days. First versions are not news."""
    now = at or timezone.now()
    since = now - timedelta(days=announce_days())
    recent = PolicyVersion.objects.filter(number__gt=1, posted_at__gte=since)
    pending = PolicyVersion.objects.filter(number__gt=1, effective_at__gt=now)
    rows = (recent | pending).distinct().order_by("-posted_at", "document")
    return [Announcement(version=v, upcoming=v.effective_at > now) for v in rows]


def acceptances_for(*, subject: uuid.UUID) -> QuerySet[PolicyAcceptance]:
    """A person's acceptance history, newest first: shown in the privacy centre and access file."""
    return PolicyAcceptance.objects.filter(subject=subject).select_related("version")


def last_accepted(*, subject: uuid.UUID) -> dict[str, PolicyVersion]:
    """The newest version of each document the person accepted, by any means (C8.3)."""
    found: dict[str, PolicyVersion] = {}
    for row in acceptances_for(subject=subject).order_by("version__number"):
        found[row.version.document] = row.version
    return found
