"""Demo data for checkout: the sandbox carrier and sandbox payment processor as partners with
signed data agreements, so `make run` has a working checkout. Idempotent: a second run finds
both partners and their agreements in force and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from lookout.shipping.carrier import SandboxCarrier

CARRIER_NAME = SandboxCarrier.partner_name
PROCESSOR_NAME = "Sandbox Card Processor"
AGREEMENT_DAYS = 2 * 365


@transaction.atomic
def ensure_partner(*, name: str, kind: str, today: date | None = None) -> object:
    from lookout.sharing.models import Partner
    from lookout.sharing.selectors import valid_agreement
    from lookout.sharing.services import record_agreement, register_partner

    day = today or timezone.localdate()
    partner = Partner.objects.filter(name=name, kind=kind).first()
    if partner is None:
        partner = register_partner(name=name, kind=kind, actor=None)
    if valid_agreement(partner=partner, on=day) is None:
        record_agreement(
            partner=partner,
            signed_on=day - timedelta(days=1),
            expires_on=day + timedelta(days=AGREEMENT_DAYS),
            document_reference=f"DPA-SANDBOX-{kind.upper()}-{day:%Y%m%d}",
            actor=None,
        )
    return partner


def ensure_partners(*, today: date | None = None) -> None:
    ensure_partner(name=CARRIER_NAME, kind="carrier", today=today)
    ensure_partner(name=PROCESSOR_NAME, kind="payment_processor", today=today)


def load(*, progress: Callable[[str], None]) -> None:
    ensure_partners()
    progress(f"checkout: partners {CARRIER_NAME!r} and {PROCESSOR_NAME!r} with signed agreements")
