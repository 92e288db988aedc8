"""The carrier interface and the sandbox carrier that stands in for a real one.

A carrier gets the recipient's name, address and phone for the label, and nothing else: the
data leaves only through `sharing.disclose`, which checks the carrier's signed agreement (C5.2),
takes only the carrier kind's allowlisted fields (C5.3, never the email) and records the
disclosure (C5.4). The store keeps the tracking number, never a copy of the label.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lookout.core.purposes import Purpose

if TYPE_CHECKING:
    from lookout.orders.models import Order


@dataclass(frozen=True)
class Label:
    carrier: str
    tracking_number: str
    # What was sent to the carrier for the label, as returned by sharing.disclose. Held in
    # memory only (to print the label), never stored by the store.
    sent: dict[str, str | None] = field(repr=False)


class Carrier(Protocol):
    def create_label(self, *, order: Order) -> Label: ...


class SandboxCarrier:
    """Issues labels with random tracking numbers; tracking updates come back as signed
    webhooks (see `lookout.shipping.webhooks.sandbox_webhook`)."""

    prefix = "SBX"
    partner_name = "Sandbox Parcel Co."

    def create_label(self, *, order: Order) -> Label:
        from lookout.sharing.errors import NoValidAgreement
        from lookout.sharing.models import Partner
        from lookout.sharing.services import active_partner, disclose

        try:
            partner = active_partner("carrier")
        except NoValidAgreement:
            # Our own partner row without a valid agreement: let disclose refuse and audit it.
            own = Partner.objects.filter(name=self.partner_name, kind="carrier").first()
            if own is None:
                raise
            partner = own
        sent = disclose(
            partner=partner, record=order.delivery, purpose=Purpose.DELIVERY, actor=None
        )
        tracking = self.prefix + "".join(
            secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10)
        )
        return Label(carrier=partner.name, tracking_number=tracking, sent=sent)


def default_carrier() -> Carrier:
    return SandboxCarrier()
