"""Reads across partners, agreements and the ledger."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from lookout.core.rows import read
from lookout.sharing.errors import NoValidAgreement
from lookout.sharing.models import DataAgreement, Disclosure, Partner, PartnerKind


def today() -> date:
    """The calendar day agreements are judged on: the store's local date (settings.TIME_ZONE)."""
    return timezone.localdate()


def valid_agreement(*, partner: Partner, on: date | None = None) -> DataAgreement | None:
    """The partner's agreement in force on `on` (today by default), the latest signed first."""
    return partner.agreements.valid_on(on or today()).order_by("-signed_on", "-recorded_at").first()


def why_no_agreement(*, partner: Partner, on: date | None = None) -> str:
    """A sentence saying why `partner` has no agreement in force: none, expired, or not yet."""
    day = on or today()
    name = partner.name
    last = partner.agreements.order_by("-expires_on").first()
    if last is None:
        return f"{name} has no data agreement on record; nothing may be sent to it."
    pending = partner.agreements.filter(signed_on__gt=day).order_by("signed_on").first()
    if pending is not None:
        return (
            f"{name}'s data agreement takes effect on {pending.signed_on:%Y-%m-%d}; "
            "nothing may be sent to it before then."
        )
    return (
        f"{name}'s data agreement expired on {last.expires_on:%Y-%m-%d}; record a new signed "
        "agreement before sending it anything."
    )


# The partner's columns the written-out reads select first, in this order (here and in
# services._partner_as_stored).
PARTNER_FIELDS = ("id", "name", "kind", "active", "registered_at")

# Written out rather than built with the ORM: checkout asks on every order, and compiling the
# join, the aggregate and the ordering cost more CPU than running them.
_ACTIVE_PARTNER_SQL = (
    "SELECT p.id, p.name, p.kind, p.active, p.registered_at, MAX(a.signed_on) AS latest_signed "
    "FROM sharing_partner AS p JOIN sharing_dataagreement AS a ON a.partner_id = p.id "
    "WHERE p.kind = %s AND p.active AND a.signed_on <= %s AND a.expires_on > %s "
    "GROUP BY p.id, p.name, p.kind, p.active, p.registered_at "
    "ORDER BY latest_signed DESC, p.registered_at, p.name LIMIT 1"
)


def active_partner(kind: str, *, on: date | None = None) -> Partner:
    """The active partner of `kind` with an agreement in force on `on` (today by default).

    With several, the one whose agreement was signed most recently (then the earliest
    registered). Raises `NoValidAgreement` with a clear message when there is none.
    """
    day = on or today()
    if kind not in PartnerKind.values:
        raise NoValidAgreement(
            f"{kind!r} is not a kind of partner: personal data goes only to a carrier, "
            "a payment processor or a dispute-resolution vendor."
        )
    found = read(
        Partner,
        _ACTIVE_PARTNER_SQL,
        [kind, day, day],
        fields=PARTNER_FIELDS,
        extra=["latest_signed"],
    )
    if not found:
        label = PartnerKind(kind).label.lower()
        raise NoValidAgreement(
            f"No active {label} has a signed data agreement in force on {day:%Y-%m-%d}."
        )
    return found[0]


def disclosures_for(subject: uuid.UUID) -> QuerySet[Disclosure]:
    """Every disclosure of this person's data, oldest first (shown in their access request)."""
    return Disclosure.objects.filter(subject=subject).select_related("partner").order_by("at", "id")


def partners() -> QuerySet[Partner]:
    """All partners with their agreements, for the operators' listing."""
    return Partner.objects.prefetch_related("agreements").order_by("kind", "name")
