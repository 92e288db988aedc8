"""Correction (C6.3): the person fixes what is wrong; the fix reaches every record still using it.

Self-service: the account email (re-sealed, new blind index), saved addresses, and the delivery
address of one's own order until picking starts (`change_order_address`). An address
correction also reaches the deliveries of the person's open orders that are not yet shipped and
still carry the old address; a shipped or delivered order is never rewritten (its label, its
carrier's record and its invoice are history). The privacy officer applies what the person
cannot edit themself (a guest's delivery details) with `correct_delivery`, under the same rule.
Every change is on the audit log with the names of the fields changed, never their values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from lookout.access import reveal
from lookout.audit.services import record
from lookout.core.errors import Conflict, LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.vault.blind_index import email_index, normalise_email

if TYPE_CHECKING:
    from lookout.accounts.models import User
    from lookout.checkout.models import SavedAddress
    from lookout.orders.models import Delivery, Order

EMAIL_TAKEN = "Another account already uses that email."


def _unshipped():  # type: ignore[no-untyped-def]
    from lookout.orders.models import Status

    return (Status.PLACED, Status.PAID, Status.PROCESSING)


@transaction.atomic
def change_email(*, user: User, new_email: str) -> User:
    """Re-seal the account email and replace its blind index (the old one stops matching)."""
    from lookout.accounts.models import User

    new_email = normalise_email(new_email)
    if not new_email or "@" not in new_email:
        raise LookoutError("Enter a valid email address.")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email = new_email
    user.email_index = email_index(new_email)
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_index"])
    except IntegrityError as exc:
        raise Conflict(EMAIL_TAKEN) from exc
    record(
        actor=user,
        action="privacy.corrected",
        subject=user.subject,
        target=user,
        fields=["accounts.User.email", "accounts.User.email_index"],
        purpose=str(Purpose.SELF_SERVICE),
    )
    return user


def _address_values(obj: SavedAddress | Delivery, actor: User | None) -> dict[str, object]:
    values = reveal(obj, ["name", "address", "phone"], purpose=Purpose.SUBJECT_REQUEST, actor=actor)
    return {
        "name": values["name"],
        "address": json.loads(values["address"] or "{}"),
        "phone": values["phone"] or None,
    }


def correct_saved_address(
    *,
    user: User,
    address_id: uuid.UUID,
    name: str,
    address: dict[str, str],
    country: str,
    phone: str | None,
) -> list[str]:
    """Correct a saved address, and the unshipped orders that still use it.

    Returns the numbers of the orders whose delivery was corrected too.
    """
    from lookout.checkout.models import SavedAddress
    from lookout.orders.models import Delivery, Order

    with transaction.atomic():
        saved = SavedAddress.objects.select_for_update().filter(user=user, pk=address_id).first()
        if saved is None:
            raise NotFound("That saved address does not exist.")
        old = _address_values(saved, user) | {"country": saved.country}
        new = {"name": name, "address": address, "phone": phone or None, "country": country}
        saved.name = name
        saved.address = json.dumps(address, ensure_ascii=False, sort_keys=True)
        saved.phone = phone or None
        saved.country = country
        saved.save()
        record(
            actor=user,
            action="privacy.corrected",
            subject=user.subject,
            target=saved,
            fields=[f"checkout.SavedAddress.{f}" for f in ("name", "address", "phone", "country")],
            purpose=str(Purpose.SELF_SERVICE),
        )
        corrected = []
        orders = Order.objects.select_for_update().filter(
            subject=user.subject, status__in=_unshipped()
        )
        for order in orders.order_by("placed_at"):
            delivery = Delivery.objects.filter(order=order).first()
            if delivery is None or delivery.country != old["country"]:
                continue
            if _address_values(delivery, user) != {k: old[k] for k in ("name", "address", "phone")}:
                continue
            _write_delivery(order=order, delivery=delivery, values=new, actor=user)
            corrected.append(order.number)
        return corrected


def _write_delivery(
    *,
    order: Order,
    delivery: Delivery,
    values: Mapping[str, object],
    actor: User | None,
    purpose: Purpose = Purpose.SUBJECT_REQUEST,
) -> None:
    changed: list[str] = []
    for name in ("name", "phone", "email"):
        if name in values:
            setattr(delivery, name, values[name] or None)
            changed.append(name)
    if "address" in values:
        delivery.address = json.dumps(values["address"], ensure_ascii=False, sort_keys=True)
        changed.append("address")
    if "email" in values:
        delivery.email_index = email_index(str(values["email"])) if values["email"] else ""
        changed.append("email_index")
    if "country" in values:
        delivery.country = str(values["country"])
        changed.append("country")
    delivery.save()
    record(
        actor=actor,
        action="privacy.corrected",
        subject=delivery.subject,
        target=delivery,
        fields=[f"orders.Delivery.{f}" for f in changed],
        purpose=str(purpose),
        detail={"order": order.number},
    )


def correct_delivery(
    *, order_id: uuid.UUID, subject: uuid.UUID, values: Mapping[str, object], actor: User
) -> None:
    """The officer applies a correction request to one of the person's orders, if unshipped.

    `values` may hold name, address (a dict), phone and email; anything else is refused.
    """
    from lookout.orders.models import Delivery, Order

    unknown = set(values) - {"name", "address", "phone", "email"}
    if unknown or not values:
        raise LookoutError("Only the name, address, phone and email of a delivery can be set.")
    if not values.get("name", "x"):
        raise LookoutError("The recipient's name cannot be empty.")
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, subject=subject).first()
        if order is None:
            raise NotFound("That order does not belong to this request.")
        if order.status not in _unshipped():
            raise Conflict("This order has shipped; its delivery record is history and stays.")
        _write_delivery(
            order=order, delivery=Delivery.objects.get(order=order), values=values, actor=actor
        )


class AddressLocked(Conflict):
    """Picking has started (or the order is closed): its delivery address stays as it is."""


def customer_may_change() -> tuple[str, ...]:
    from lookout.orders.models import Status

    return (Status.PLACED, Status.PAID)  # what the buyer may also still cancel


def address_locked_reason(status: str) -> str:
    """Why the buyer cannot change the delivery address of an order in `status`."""
    from lookout.orders.models import Status

    if status == Status.PROCESSING:
        return (
            "Our warehouse has started preparing this order, so its delivery address can no "
            "longer be changed here. Please contact our customer service."
        )
    if status in (Status.SHIPPED, Status.DELIVERED):
        return "This order has been handed to the carrier; its delivery address stays as it was."
    closed = {
        Status.CANCELLED: "This order was cancelled",
        Status.PAYMENT_FAILED: "This order's payment failed",
        Status.EXPIRED: "This order was not paid in time and was released",
    }
    # every status the buyer may not change is named above (the others never ask)
    return f"{closed[Status(status)]}: there is no delivery address to change."


def change_order_address(
    *, user: User, number: str, name: str, address: dict[str, str], phone: str | None
) -> Order:
    """The signed-in buyer changes the delivery address of one of their orders, in the same
    country, until the warehouse starts picking it (placed or paid, as for cancelling).

    The same correction as the saved-address path: re-sealed under the buyer's key, audited
    with the names of the fields changed (purpose self-service), never their values; and the
    buyer gets a message, so a change they did not make does not go unnoticed. Another
    person's order is the same NotFound as a missing one; a refusal changes nothing."""
    from lookout.inbox.services import send_message
    from lookout.orders.models import Delivery, Order

    if not name.strip():
        raise LookoutError("The recipient's name cannot be empty.")
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .filter(subject=user.subject, number=(number or "").strip().upper()[:20])
            .first()
        )
        if order is None:
            raise NotFound("No such order.")
        if order.status not in customer_may_change():
            raise AddressLocked(address_locked_reason(order.status))
        _write_delivery(
            order=order,
            delivery=Delivery.objects.get(order=order),
            values={"name": name.strip(), "address": address, "phone": phone or None},
            actor=user,
            purpose=Purpose.SELF_SERVICE,
        )
        send_message(
            subject=order.subject,
            kind="order_update",
            title=f"Delivery address changed — order {order.number}",
            body=(
                f"The delivery address of order {order.number} was changed from your account. "
                "We will send the parcel to the new address. If you did not make this change, "
                "contact our customer service before the order ships."
            ),
        )
    return order
