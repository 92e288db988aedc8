"""Saved addresses of signed-in customers: written sealed, read back only by their owner."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from lookout.access import reveal
from lookout.audit.services import record
from lookout.checkout.models import SavedAddress
from lookout.core.purposes import Purpose

if TYPE_CHECKING:
    from lookout.accounts.models import User

MAX_SAVED = 10


@dataclass(frozen=True)
class AddressChoice:
    id: uuid.UUID
    country: str
    name: str
    address: dict[str, str]
    phone: str


@transaction.atomic
def save_address(
    *, user: User, name: str, address: dict[str, str], country: str, phone: str | None
) -> SavedAddress:
    """Keep an address the customer asked us to keep (the oldest goes beyond MAX_SAVED)."""
    saved = SavedAddress(
        subject=user.subject,
        user=user,
        name=name,
        address=json.dumps(address, ensure_ascii=False, sort_keys=True),
        phone=phone or None,
        country=country,
    )
    saved.save(force_insert=True)
    for old in SavedAddress.objects.filter(user=user).order_by("-created_at")[MAX_SAVED:]:
        old.delete()
    record(actor=user, action="address.saved", subject=user.subject, target=saved)
    return saved


def saved_addresses(*, user: User) -> list[AddressChoice]:
    """The customer's own saved addresses, read through the gate as the person themself."""
    choices = []
    for saved in SavedAddress.objects.filter(user=user):
        values = reveal(
            saved, ["name", "address", "phone"], purpose=Purpose.SELF_SERVICE, actor=user
        )
        choices.append(
            AddressChoice(
                id=saved.id,
                country=saved.country,
                name=values["name"] or "",
                address=json.loads(values["address"] or "{}"),
                phone=values["phone"] or "",
            )
        )
    return choices


@transaction.atomic
def delete_address(*, user: User, address_id: uuid.UUID) -> bool:
    deleted, _ = SavedAddress.objects.filter(user=user, pk=address_id).delete()
    if deleted:
        record(actor=user, action="address.deleted", subject=user.subject)
    return bool(deleted)
