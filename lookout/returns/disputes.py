"""Disputes: after-sales hands a customer's case to a dispute-resolution vendor.

The vendor receives only what its kind may receive (C5.3: the name and the contact email),
through `sharing.disclose`, which checks its signed agreement (C5.2) and writes the ledger and
the audit entry (C5.4). The delivery record gives the recipient's name (and a guest's email);
for a customer with an account, the email is on the account, disclosed as a second record.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from lookout.audit.services import record
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.orders.models import Order
from lookout.returns.models import Dispute, Reason

if TYPE_CHECKING:
    from lookout.accounts.models import User


class DisputeRefused(LookoutError):
    """The dispute cannot be opened as asked (400); nothing was sent."""


@dataclass(frozen=True)
class OpenedDispute:
    dispute: Dispute
    # What the vendor received, held in memory for the hand-over only, never stored.
    sent: dict[str, str | None]


def open_dispute(*, order: Order, reason: str, actor: User) -> OpenedDispute:
    """Open a case with the active dispute-resolution vendor for `order`."""
    from lookout.sharing.services import active_partner, disclose

    if reason not in Reason.values:
        raise DisputeRefused("Choose the reason for the dispute from the list.")
    if order.status not in ("shipped", "delivered"):
        raise DisputeRefused(
            f"Order {order.number} has not been shipped; there is nothing to dispute yet."
        )
    partner = active_partner("dispute_resolution")  # NoValidAgreement (403) when none
    # Outside a transaction of ours: a refusal's audit entry must stay (see sharing.services).
    sent = dict(
        disclose(partner=partner, record=order.delivery, purpose=Purpose.AFTER_SALES, actor=actor)
    )
    if order.user is not None and order.user.subject == order.subject:
        account = disclose(
            partner=partner, record=order.user, purpose=Purpose.AFTER_SALES, actor=actor
        )
        sent["email"] = sent.get("email") or account.get("email")
    with transaction.atomic():
        dispute = Dispute.objects.create(
            order=order,
            subject=order.subject,
            partner=partner,
            reason=reason,
            case_reference="DR-" + secrets.token_hex(6).upper(),
            opened_by_ref=str(actor.subject),
        )
        record(
            actor=actor,
            action="dispute.opened",
            subject=order.subject,
            target=dispute,
            detail={"order": order.number, "partner": str(partner.pk), "reason": reason},
        )
    return OpenedDispute(dispute=dispute, sent=sent)
