"""What each kind of partner may receive, and for which purposes (C5.3).

The allowlist names fideslang data categories, not fields: any app's encrypted field whose
declared category falls under one of these (the category itself or a finer one, such as
`user.contact.address.street` under `user.contact.address`) may go to that kind of partner.
A field added later to a Delivery model is therefore covered without touching this table,
and a field of another category (an email, anything financial) can never slip into a
carrier's payload.
"""

from __future__ import annotations

from lookout.core.purposes import Purpose
from lookout.sharing.models import PartnerKind

CATEGORIES: dict[str, frozenset[str]] = {
    # A carrier needs to know who gets the parcel, where, and whom to call at the door.
    # Never an email address, never payment data.
    PartnerKind.CARRIER: frozenset(
        {"user.name", "user.contact.address", "user.contact.phone_number"}
    ),
    # The processor already holds the card (the customer typed it on its page): it gets only the
    # name to match the cardholder.
    PartnerKind.PAYMENT_PROCESSOR: frozenset({"user.name"}),
    # A dispute-resolution vendor contacts the person about their dispute.
    PartnerKind.DISPUTE_RESOLUTION: frozenset({"user.name", "user.contact.email"}),
}

PURPOSES: dict[str, frozenset[Purpose]] = {
    PartnerKind.CARRIER: frozenset({Purpose.DELIVERY}),
    PartnerKind.PAYMENT_PROCESSOR: frozenset({Purpose.FULFILMENT, Purpose.REFUND}),
    PartnerKind.DISPUTE_RESOLUTION: frozenset({Purpose.AFTER_SALES, Purpose.REFUND}),
}


def category_allowed(kind: str, category: str) -> bool:
    """Whether `category` (or the broader category it belongs to) is on `kind`'s allowlist."""
    return any(
        category == allowed or category.startswith(f"{allowed}.")
        for allowed in CATEGORIES.get(kind, frozenset())
    )


def purpose_allowed(kind: str, purpose: Purpose) -> bool:
    return purpose in PURPOSES.get(kind, frozenset())
