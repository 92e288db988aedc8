"""Restriction of processing (GDPR Art. 18, C6.9): asked for by the person, lifted by the
privacy officer with a stated reason.

A restriction takes effect as soon as the verified person asks: from then on the gate lets
staff read their data only for legal purposes (`access.restrictions.LEGAL_PURPOSES`), nobody
reads it for marketing, promotions skip them and analytics records nothing for them. The
privacy app registers `restricted_subjects` with `access.restrictions` (apps.py), which is how
the layers below learn who is restricted. Each step is audited and the person is told in their
inbox.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lookout.access.roles import Role
from lookout.audit.services import record
from lookout.core.errors import Conflict, Forbidden, LookoutError
from lookout.core.purposes import Purpose
from lookout.privacy.models import LiftReason, ProcessingRestriction, RestrictionGround, Via
from lookout.privacy.verification import reauthenticate

if TYPE_CHECKING:
    from lookout.accounts.models import User


def restricted_subjects(subjects: set[Any]) -> set[Any]:
    """Those of `subjects` with a restriction in force (registered with the gate)."""
    return set(
        ProcessingRestriction.objects.filter(
            subject__in=subjects, lifted_at__isnull=True
        ).values_list("subject", flat=True)
    )


def restriction_for(*, subject: uuid.UUID) -> ProcessingRestriction | None:
    """The person's restriction in force, if any."""
    return ProcessingRestriction.objects.filter(subject=subject, lifted_at__isnull=True).first()


def latest_for(*, subject: uuid.UUID) -> ProcessingRestriction | None:
    """The person's most recent restriction, in force or lifted (the privacy centre shows it)."""
    return ProcessingRestriction.objects.filter(subject=subject).order_by("-created_at").first()


def in_force() -> QuerySet[ProcessingRestriction]:
    """Every restriction in force, oldest first (the officer's queue)."""
    return ProcessingRestriction.objects.filter(lifted_at__isnull=True).order_by("created_at")


def _tell(subject: uuid.UUID, *, title: str, body: str, key: str) -> None:
    from lookout.inbox.services import send_message

    send_message(subject=subject, kind="account", title=title, body=body, dedupe_key=key)


def open_restriction(
    *, subject: uuid.UUID, ground: str, via: str, actor: User | None
) -> ProcessingRestriction:
    """Put a verified person's restriction in force (callers verify first, C6.1). A second ask
    while one is in force returns that one.

    The database allows one restriction in force per person (`privacy_one_restriction_in_force`),
    so a second ask, or two at the same moment, ends in the IntegrityError branch: one path for
    both, which the tests of asking twice exercise."""
    if ground not in RestrictionGround.values:
        raise LookoutError("Choose why you want the processing of your data restricted.")
    try:
        with transaction.atomic():
            made = ProcessingRestriction.objects.create(subject=subject, ground=ground, via=via)
            record(
                actor=actor,
                action="privacy.restriction_requested",
                subject=subject,
                target=made,
                purpose=str(Purpose.SUBJECT_REQUEST),
                detail={"ground": ground, "via": via},
            )
            _tell(
                subject,
                title="The processing of your data is restricted",
                body=(
                    "As you asked (GDPR Art. 18), from now on we only keep your data: no "
                    "promotions, no analytics, and our staff may read it only for a legal "
                    "obligation or to handle your requests, until our privacy officer lifts the "
                    "restriction. We will tell you here before it is lifted, and why."
                ),
                key=f"privacy-restriction:{made.pk}",
            )
    except IntegrityError:  # one is in force already (asked before, or a moment ago)
        existing = restriction_for(subject=subject)
        if existing is None:
            raise
        return existing
    return made


def request_restriction(
    *, user: User, password: str, ground: str, ip: str = ""
) -> ProcessingRestriction:
    """A signed-in person's request: the password is asked again first (C6.1)."""
    reauthenticate(user=user, password=password, ip=ip)
    return open_restriction(subject=user.subject, ground=ground, via=Via.ACCOUNT, actor=user)


def lift_restriction(
    *, restriction: ProcessingRestriction, actor: User, reason: str
) -> ProcessingRestriction:
    """The officer lifts a restriction, with a reason from the fixed list the person sees."""
    if getattr(actor, "role", "") != Role.PRIVACY_OFFICER:
        raise Forbidden("Only the privacy officer lifts a restriction of processing.")
    if reason not in LiftReason.values:
        raise LookoutError("Choose the reason the person will see for lifting the restriction.")
    with transaction.atomic():
        restriction = ProcessingRestriction.objects.select_for_update().get(pk=restriction.pk)
        if restriction.lifted_at is not None:
            raise Conflict("This restriction has already been lifted.")
        restriction.lifted_at = timezone.now()
        restriction.lift_reason = reason
        restriction.lifted_by_role = str(actor.role)
        restriction.save(update_fields=["lifted_at", "lift_reason", "lifted_by_role"])
        record(
            actor=actor,
            action="privacy.restriction_lifted",
            subject=restriction.subject,
            target=restriction,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={"reason": reason},
        )
        _tell(
            restriction.subject,
            title="The restriction of your data is lifted",
            body=(
                "Our privacy officer has lifted the restriction of processing you asked for on "
                f"{restriction.created_at:%Y-%m-%d}. Why: {LiftReason(reason).label} "
                "Your choices about promotions and cookies are as you left them."
            ),
            key=f"privacy-restriction-lifted:{restriction.pk}",
        )
    return restriction
