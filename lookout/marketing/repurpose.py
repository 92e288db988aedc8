"""Using personal data for a purpose outside the fixed list (C3.8).

The fixed purposes (lookout.core.purposes) never change at run time. Anything else, say a
product survey, needs the person's own consent to exactly that use, recorded as a
`PurposeConsent` with the wording they agreed to. `reveal_for_new_purpose` reads through the
same gate as every other read (lookout.access.reveal): the gate asks `has_active_consent`
(registered when this app loads) and refuses, on the audit log, when there is none.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lookout.core.errors import Conflict, LookoutError
from lookout.core.purposes import Purpose
from lookout.marketing.models import PurposeConsent

if TYPE_CHECKING:
    from lookout.accounts.models import User

PURPOSE_CODE = re.compile(r"[a-z][a-z0-9_]{2,31}")


class InvalidPurpose(LookoutError):
    """The code is malformed, or names a fixed purpose (those need no consent record)."""


def check_purpose_code(purpose_code: str) -> str:
    if not PURPOSE_CODE.fullmatch(purpose_code or ""):
        raise InvalidPurpose(
            "A purpose code has 3 to 32 lowercase letters, digits or underscores, "
            "starting with a letter."
        )
    if purpose_code in Purpose.values:
        raise InvalidPurpose(f"{purpose_code!r} is a fixed purpose; read it with reveal().")
    return purpose_code


def has_active_consent(subject: Any, purpose_code: str) -> bool:
    """True when the person has consented to exactly this purpose and not withdrawn."""
    return PurposeConsent.objects.filter(
        subject=subject, purpose_code=purpose_code, withdrawn_at__isnull=True
    ).exists()


def grant_purpose_consent(
    *, subject: uuid.UUID, purpose_code: str, wording: str, actor: User | None
) -> PurposeConsent:
    """Record the person's consent, with the wording shown to them."""
    from lookout.audit.services import record

    check_purpose_code(purpose_code)
    wording = (wording or "").strip()
    if not wording:
        raise InvalidPurpose("A consent needs the wording the person agreed to.")
    try:
        with transaction.atomic():
            consent = PurposeConsent.objects.create(
                subject=subject, purpose_code=purpose_code, wording=wording
            )
            record(
                actor=actor,
                action="purpose_consent.granted",
                subject=subject,
                purpose=purpose_code,
                target=consent,
            )
    except IntegrityError as exc:
        raise Conflict("This person has already consented to that purpose.") from exc
    return consent


@transaction.atomic
def withdraw_purpose_consent(*, subject: uuid.UUID, purpose_code: str, actor: User | None) -> int:
    """Withdraw at once; returns how many active consents ended (0 or 1)."""
    from lookout.audit.services import record

    ended = PurposeConsent.objects.filter(
        subject=subject, purpose_code=purpose_code, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    if ended:
        record(
            actor=actor, action="purpose_consent.withdrawn", subject=subject, purpose=purpose_code
        )
    return ended


def reveal_for_new_purpose(
    obj: models.Model, fields: Sequence[str], *, purpose_code: str, actor: User | None
) -> dict[str, str | None]:
    """Plaintext of `fields` for a purpose outside the fixed list. Without the person's active
    consent to exactly `purpose_code`, the gate audits the refusal and raises AccessDenied."""
    from lookout.access.gate import reveal

    return reveal(obj, fields, purpose=check_purpose_code(purpose_code), actor=actor)
