"""Writes on policies: publishing a version (C8.3, C8.4) and recording acceptance (C1.5, C8.3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from lookout.core.errors import LookoutError
from lookout.core.rows import insert_many
from lookout.policies import selectors
from lookout.policies.models import Document, PolicyAcceptance, PolicyVersion

if TYPE_CHECKING:
    from lookout.accounts.models import User

TEXT_MAX = 200_000
SUMMARY_MAX = 2_000


class PolicyRefused(LookoutError):
    """The operator asked for something the policy rules forbid; the message says what to do."""


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _in_words(day: date) -> str:
    """A day as a person reads it: "1 April 2027" (a datetime gives its UTC day)."""
    return f"{day.day} {day:%B %Y}"


def earliest_material_date(*, now: datetime | None = None) -> date:
    """The first whole day on which a material change posted `now` may take effect (C8.4)."""
    limit = (now or timezone.now()) + timedelta(days=selectors.notice_days())
    day = limit.astimezone(UTC).date()
    return day if _start_of(day) >= limit else day + timedelta(days=1)


def _clean_text(value: str, *, what: str, limit: int, required: bool) -> str:
    value = value.replace("\r\n", "\n").strip()
    if required and not value:
        raise PolicyRefused(f"The {what} is empty.")
    if len(value) > limit:
        raise PolicyRefused(f"The {what} is too long (at most {limit:,} characters).")
    if "\x00" in value:
        raise PolicyRefused(f"The {what} contains a NUL character; is it really a text file?")
    return value


def _effective_at(
    *, now: datetime, effective_on: date | None, material: bool, previous: PolicyVersion | None
) -> datetime:
    if effective_on is not None and effective_on < now.astimezone(UTC).date():
        raise PolicyRefused(
            f"The effective date {_in_words(effective_on)} is in the past: a version takes effect "
            "when it is posted at the earliest."
        )
    if material:
        earliest = earliest_material_date(now=now)
        if effective_on is None or effective_on < earliest:
            given = f"{_in_words(effective_on)} " if effective_on else "no effective date "
            raise PolicyRefused(
                f"A material change needs at least {selectors.notice_days()} days' notice to "
                f"every registered customer, so {given}is too soon: choose "
                f"{_in_words(earliest)} or later."
            )
    effective = now if effective_on is None else max(now, _start_of(effective_on))
    if previous is not None and effective < previous.effective_at:
        raise PolicyRefused(
            f"Version {previous.number} takes effect on {_in_words(previous.effective_at)}; "
            f"a newer version cannot take effect before it. Choose "
            f"{_in_words(previous.effective_at)} or later."
        )
    return effective


def publish_version(
    *,
    document: str,
    text: str,
    summary: str = "",
    material: bool = False,
    effective_on: date | None = None,
    actor: User | None = None,
) -> PolicyVersion:
    """Post the next version of `document`.

    It takes effect now, or at the start (UTC) of `effective_on` if that is later (C8.3). A
    material change must leave at least the notice period before it takes effect, and is refused
    otherwise (C8.4); once the version is committed, a task sends the notice to every registered
    customer's inbox.
    """
    from lookout.audit.services import record
    from lookout.policies.tasks import send_policy_notices

    if not selectors.is_document(document):
        raise PolicyRefused(
            f"Unknown policy {document!r}: choose one of {', '.join(Document.values)}."
        )
    text = _clean_text(text, what="policy text", limit=TEXT_MAX, required=True)
    summary = _clean_text(summary, what="summary of changes", limit=SUMMARY_MAX, required=False)
    if material and not summary:
        raise PolicyRefused(
            "A material change needs a summary of changes: it goes to every customer's inbox."
        )
    with transaction.atomic():
        # Lock the document's versions: two publishers cannot both take the next number.
        previous = (
            PolicyVersion.objects.select_for_update()
            .filter(document=document)
            .order_by("-number")
            .first()
        )
        if previous is not None and previous.text == text:
            raise PolicyRefused(
                f"This text is the same as version {previous.number}: nothing to publish."
            )
        now = timezone.now()
        version = PolicyVersion.objects.create(
            document=document,
            number=(previous.number + 1) if previous else 1,
            text=text,
            summary=summary,
            posted_at=now,
            effective_at=_effective_at(
                now=now, effective_on=effective_on, material=material, previous=previous
            ),
            material=material,
        )
        record(
            actor=actor,
            action="policy.published",
            target=version,
            detail={
                "document": document,
                "number": version.number,
                "material": material,
                "effective_at": version.effective_at.isoformat(),
            },
        )
        if material:
            version_id = str(version.id)
            transaction.on_commit(lambda: send_policy_notices.enqueue(version_id=version_id))
    return version


def _accept(*, subject: uuid.UUID, version: PolicyVersion, how: str, at: datetime) -> bool:
    try:
        with transaction.atomic():
            PolicyAcceptance.objects.create(subject=subject, version=version, how=how, at=at)
    except IntegrityError:
        return False  # continued use of this version was recorded already (a race)
    return True


def record_acceptance(
    *,
    subject: uuid.UUID,
    how: str,
    versions: Iterable[PolicyVersion] | None = None,
    at: datetime | None = None,
) -> list[PolicyAcceptance]:
    """Record that the person accepted `versions` (by default: each document in force now).

    Sign-up and every order call this (C1.5). A new account also gets, in its inbox, the notice
    of every material change already posted but not yet in force: everyone registered when the
    change takes effect has been told beforehand (C8.4).
    """
    from lookout.policies.notices import send_notice

    if how not in PolicyAcceptance.How.values:
        raise ValueError(f"Unknown kind of acceptance {how!r}.")
    now = at or timezone.now()
    chosen = (
        [v.pk for v in versions]
        if versions is not None
        else list(selectors.current_version_ids(at=now).values())
    )
    with transaction.atomic(savepoint=False):
        # One statement without the ORM's compile step (core.rows): every order records this.
        rows = [PolicyAcceptance(subject=subject, version_id=v, how=how, at=now) for v in chosen]
        insert_many(rows)
        if how == PolicyAcceptance.How.SIGNUP:
            for document in Document.values:
                for pending in selectors.upcoming(document=document, at=now):
                    if pending.material:
                        send_notice(version=pending, subject=subject)
    return rows


def record_continued_use(
    *, subject: uuid.UUID, at: datetime | None = None
) -> list[PolicyAcceptance]:
    """At sign-in or order: accept by continued use each version in force now that is newer
    than the one the person last accepted (C8.3). Versions that came and went between two
    visits were never in force while the person used the store, so they are not recorded."""
    now = at or timezone.now()
    accepted = selectors.last_accepted(subject=subject)
    recorded = []
    with transaction.atomic():
        for document, current in selectors.current_versions(at=now).items():
            last = accepted.get(document)
            if last is not None and last.number >= current.number:
                continue
            if _accept(
                subject=subject, version=current, how=PolicyAcceptance.How.CONTINUED_USE, at=now
            ):
                recorded.append(
                    PolicyAcceptance.objects.get(
                        subject=subject,
                        version=current,
                        how=PolicyAcceptance.How.CONTINUED_USE,
                    )
                )
    return recorded
