"""Restriction of processing (GDPR Art. 18, C6.9): which people's data may only be kept.

While a person's processing is restricted, the gate lets staff read their data only for the
legal purposes below (`LEGAL_PURPOSES`), and nobody reads it for marketing; marketing skips
them and analytics records nothing for them. Which people are restricted is known to the
privacy app (its `ProcessingRestriction` records), above this layer, so it registers a check
here in its `AppConfig.ready()`, as the consent checks are registered; the gate, marketing and
consent ask this module, never the privacy app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lookout.core.purposes import Purpose

# What staff may still read a restricted person's data for: the restriction request itself and
# any other subject request (the officer must be able to answer them), and a legal obligation
# or the establishment, exercise or defence of legal claims (Art. 18(2)).
LEGAL_PURPOSES = frozenset({Purpose.LEGAL, Purpose.SUBJECT_REQUEST})

REFUSAL = (
    "This person has restricted the processing of their data (GDPR Art. 18): it can be read "
    "only for a legal obligation or a subject request until the privacy officer lifts the "
    "restriction."
)

# Given people (subject ids), returns those whose processing is restricted now.
RestrictionCheck = Callable[[set[Any]], set[Any]]
_checks: list[RestrictionCheck] = []


def register_restriction_check(check: RestrictionCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def restricted(subjects: Iterable[Any]) -> set[Any]:
    """Those of `subjects` whose processing is restricted now (no query when none is asked)."""
    wanted = {s for s in subjects if s is not None}
    if not wanted or not _checks:
        return set()
    found: set[Any] = set()
    for check in _checks:
        found |= check(wanted)
    return found


def is_restricted(subject: Any) -> bool:
    return bool(restricted([subject]))


def allowed_while_restricted(reader: str, purpose: Purpose | str) -> bool:
    """Whether `reader` may read a restricted person's data for `purpose`.

    The person themself always may. Nobody may for marketing. The store acting for the person
    (`system`) may for the fixed purposes, so their account notices and open requests still
    work; a staff role only for `LEGAL_PURPOSES`.
    """
    from lookout.access.matrix import SELF, SYSTEM

    if reader == SELF:
        return True
    if str(purpose) == Purpose.MARKETING:
        return False
    if reader == SYSTEM:
        return True
    return str(purpose) in LEGAL_PURPOSES


def needs_check(reader: str, purpose: Purpose | str) -> bool:
    """Whether a read by `reader` for `purpose` could be refused by a restriction (so the
    restriction check is run only for those, never on the store's own hot paths)."""
    return not allowed_while_restricted(reader, purpose)
