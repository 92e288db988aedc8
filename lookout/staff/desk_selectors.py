"""What the order desk shows of one order, to one staff role (issue 20, C4.3, C4.4).

Who may use the desk, and how (decided from the role matrix, `lookout.access.matrix`):

- after-sales, warehouse, finance and the privacy officer open orders by number; the
  administrator and the catalog manager do not (they run the shop, not its orders), and are
  told so (403);
- finding orders by a customer's email is a use of that email, so only the roles the matrix
  lets read a buyer's email may do it, each for a purpose it is granted: after-sales (for
  after-sales) and the privacy officer (for a subject request, or a legal obligation). Every
  such search is audited with its purpose;
- each role reads the order for its own job (`PAGE_PURPOSE`), and each personal field is shown
  as the matrix grants it for that purpose: in full, masked, or not at all (a mask is shown
  without anything being decrypted or audited). Every read goes through `reveal`, so every
  page view that shows a personal value is on the audit log.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lookout.access import reveal, reveal_many
from lookout.access.masks import DOT
from lookout.access.matrix import Level, level_for
from lookout.access.roles import Role
from lookout.core.money import format_usd
from lookout.core.purposes import Purpose
from lookout.orders.models import Order, Status
from lookout.vault.crypto import KeyDestroyed

if TYPE_CHECKING:
    from lookout.accounts.models import User

PAGE_PURPOSE: dict[str, Purpose] = {
    Role.AFTER_SALES: Purpose.AFTER_SALES,
    Role.WAREHOUSE: Purpose.FULFILMENT,
    Role.FINANCE: Purpose.REFUND,
    Role.PRIVACY_OFFICER: Purpose.SUBJECT_REQUEST,
}
DESK_ROLES = frozenset(PAGE_PURPOSE)
EMAIL_SEARCH_PURPOSES: dict[str, tuple[Purpose, ...]] = {
    Role.AFTER_SALES: (Purpose.AFTER_SALES,),
    Role.PRIVACY_OFFICER: (Purpose.SUBJECT_REQUEST, Purpose.LEGAL),
}
DELIVERY_FIELDS = ("name", "address", "phone", "email")
LABELS = {"name": "Recipient", "address": "Address", "phone": "Phone", "email": "Email"}
ERASED = "(erased)"


def role_of(actor: Any) -> str:
    return str(getattr(actor, "role", "") or "")


@dataclass
class Shown:
    """One personal field as this reader may see it."""

    name: str
    label: str
    level: str  # "full", "masked", "hidden" (not granted) or "none" (no value)
    value: str = ""
    lines: list[str] = field(default_factory=list)


def _field_level(role: str, key: str, purpose: Purpose) -> Level | None:
    return level_for(role, key, purpose)


def personal_fields(*, order: Order, actor: User) -> list[Shown]:
    """Name, address, phone and email of the order's buyer, each as the matrix grants it to
    the actor's role for the role's purpose. Granted fields are read in one `reveal` (one
    audit entry); a guest's email is on the delivery, an account holder's on the account."""
    from lookout.orders.selectors import address_lines

    role = role_of(actor)
    purpose = PAGE_PURPOSE[role]
    delivery = order.delivery
    account = order.user if order.user is not None and order.user.subject == order.subject else None
    email_on_account = delivery.email is None and account is not None
    sources = {
        name: ("accounts.User.email" if name == "email" and email_on_account else None)
        for name in DELIVERY_FIELDS
    }
    shown: dict[str, Shown] = {}
    wanted: list[str] = []
    for name in DELIVERY_FIELDS:
        key = sources[name] or f"orders.Delivery.{name}"
        present = (
            getattr(delivery, name) is not None
            if sources[name] is None
            else account is not None and account.email is not None
        )
        level = _field_level(role, key, purpose)
        if not present:
            shown[name] = Shown(name, LABELS[name], "none")
        elif level is None:
            shown[name] = Shown(name, LABELS[name], "hidden", DOT)
        else:
            shown[name] = Shown(name, LABELS[name], str(level))
            if sources[name] is None:
                wanted.append(name)
    values: dict[str, Any] = {}
    try:
        if wanted:
            values.update(reveal(delivery, wanted, purpose=purpose, actor=actor))
        if email_on_account and shown["email"].level in (Level.FULL, Level.MASKED):
            assert account is not None
            values["email"] = reveal(account, ["email"], purpose=purpose, actor=actor)["email"]
    except KeyDestroyed:
        for item in shown.values():
            if item.level in (Level.FULL, Level.MASKED):
                item.value = ERASED
        return list(shown.values())
    for name, value in values.items():
        item = shown[name]
        item.value = value or ""
        if name == "address" and value and item.level == Level.FULL:
            try:
                item.lines = address_lines(json.loads(value), order)
            except ValueError:
                item.lines = [value]
    return list(shown.values())


# --- the timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # order, payment, shipment, return, refund, message, cancellation, note, dispute
    title: str
    detail: str = ""
    sealed: str = ""  # a personal free text as this reader may see it (note, reason)
    sealed_level: str = ""  # "full", "masked" or "hidden"


def _status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def _order_entries(order: Order) -> list[Entry]:
    return [
        Entry(
            e.at,
            "order",
            f"Order {_status_label(e.to_status).lower()}",
            " ".join(
                part
                for part in (
                    f"from {_status_label(e.from_status).lower()}." if e.from_status else "",
                    "By staff."
                    if e.actor_ref not in ("system", "guest")
                    and e.to_status in (Status.PROCESSING, Status.SHIPPED, Status.CANCELLED)
                    else "",
                    e.note,
                )
                if part
            ),
        )
        for e in order.events.all()
    ]


def _payment_entries(order: Order, *, role: str) -> list[Entry]:
    """What the payment went through, from the audit log (each change of a payment is
    audited with its amount). The card's brand and last four digits and the processor's
    reference are payment data: finance's alone, as on the queues (C4.3)."""
    from lookout.audit.models import AuditEntry
    from lookout.payments.models import Payment

    if order.payment_id is None:
        return []
    payment = Payment.objects.filter(pk=order.payment_id).first()
    if payment is None:
        return []
    card = f"{payment.brand} ending {payment.last4}" if payment.last4 else ""
    entries = []
    for audit in AuditEntry.objects.filter(
        target=f"payments.Payment:{payment.pk}", action__startswith="payment."
    ).order_by("seq"):
        what = audit.action.removeprefix("payment.").replace("_", " ")
        amount = (audit.detail or {}).get("amount")
        detail = f"{format_usd(amount)}." if amount else ""
        entries.append(Entry(audit.at, "payment", f"Payment {what}", detail))
    parts = [
        f"Now: {payment.get_status_display().lower()}.",
        f"Authorised {format_usd(payment.authorized_amount)},",
        f"captured {format_usd(payment.captured_amount)},",
        f"refunded {format_usd(payment.refunded_amount)}.",
    ]
    if card and role == Role.FINANCE:
        parts.append(f"Card: {card}.")
    if payment.processor_reference and role == Role.FINANCE:
        parts.append(f"Processor reference {payment.processor_reference}.")
    summary = " ".join(parts)
    entries.append(Entry(payment.created_at, "payment", "Payment opened", summary.strip()))
    return entries


def _shipment_entries(order: Order) -> list[Entry]:
    from lookout.shipping.models import Shipment

    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        return []
    entries = [
        Entry(
            shipment.created_at,
            "shipment",
            "Label created",
            f"{shipment.carrier}, tracking number {shipment.tracking_number}.",
        )
    ]
    entries += [
        Entry(event.occurred_at, "shipment", f"Carrier: {event.get_status_display().lower()}")
        for event in shipment.events.all()
    ]
    return entries


def _return_entries(order: Order) -> list[Entry]:
    from lookout.returns.models import Refund, ReturnRequest

    entries: list[Entry] = []
    for ret in ReturnRequest.objects.filter(order=order).prefetch_related("events"):
        entries.append(
            Entry(
                ret.requested_at,
                "return",
                f"Return {ret.number} requested",
                f"{ret.get_reason_display()}. Refund {format_usd(ret.amount)}.",
            )
        )
        for event in ret.events.all():
            if event.from_status:
                entries.append(
                    Entry(
                        event.at,
                        "return",
                        f"Return {ret.number}: {_return_label(event.to_status)}",
                    )
                )
    for refund in Refund.objects.filter(ret__order=order).select_related("ret"):
        entries.append(
            Entry(
                refund.created_at,
                "refund",
                f"Refund due for return {refund.ret.number}",
                f"{format_usd(refund.amount)}, due by {refund.due_on:%d %B %Y}.",
            )
        )
        if refund.settled_at is not None:
            entries.append(
                Entry(refund.settled_at, "refund", f"Refund settled for return {refund.ret.number}")
            )
    return entries


def _return_label(status: str) -> str:
    from lookout.returns.models import ReturnStatus

    try:
        return str(ReturnStatus(status).label).lower()
    except ValueError:
        return status


def _dispute_entries(order: Order) -> list[Entry]:
    from lookout.returns.models import Dispute

    return [
        Entry(
            d.opened_at,
            "dispute",
            f"Dispute {d.case_reference} opened",
            f"With {d.partner.name}: {d.get_reason_display()}.",
        )
        for d in Dispute.objects.filter(order=order).select_related("partner")
    ]


def _message_entries(order: Order) -> list[Entry]:
    """Messages the store sent the buyer about this order: when and what kind. Their words are
    sealed for the buyer alone (no staff role reads inbox messages)."""
    from lookout.inbox.models import Message

    rows = Message.objects.filter(dedupe_key__startswith=f"order:{order.id}:").values_list(
        "created_at", "dedupe_key", "read_at"
    )
    entries = []
    for at, key, read_at in rows:
        parts = (key or "").split(":")
        about = parts[2] if len(parts) > 2 else ""
        what = (
            "tracking details"
            if about == "tracking"
            else _status_label(about).lower().replace("-", " ")
        )
        entries.append(
            Entry(
                at,
                "message",
                f"Message sent to the customer ({what})",
                "Read by the customer." if read_at else "Not read yet.",
            )
        )
    return entries


def _sealed(
    objs: Sequence[Any], name: str, *, key: str, role: str, purpose: Purpose, actor: User
) -> list[tuple[str, str]]:
    """The sealed free text `name` of each of `objs` as the reader may see it, with its level:
    read through the gate (one audit entry) when granted, else a mask without decrypting."""
    level = level_for(role, key, purpose)
    if not objs:
        return []
    if level is None:
        return [(DOT, "hidden") for _ in objs]
    try:
        opened = reveal_many(list(objs), [name], purpose=purpose, actor=actor)
    except KeyDestroyed:
        return [(ERASED, str(level)) for _ in objs]
    return [(values[name] or "", str(level)) for values in opened]


def _cancellation_entries(order: Order, *, actor: User, purpose: Purpose) -> list[Entry]:
    from lookout.orders.models import Cancellation

    cancellation = Cancellation.objects.filter(order=order).first()
    if cancellation is None:
        return []
    sealed, level = "", ""
    if cancellation.reason is not None:
        ((sealed, level),) = _sealed(
            [cancellation],
            "reason",
            key="orders.Cancellation.reason",
            role=role_of(actor),
            purpose=purpose,
            actor=actor,
        )
    return [
        Entry(
            cancellation.at,
            "cancellation",
            f"Cancelled by {cancellation.get_by_display().lower()}",
            f"Payment: {cancellation.payment.replace('_', ' ')}.",
            sealed,
            level,
        )
    ]


def _display_names(refs: set[str]) -> dict[str, str]:
    """Staff display names by subject id (blank names left out): one query."""
    from lookout.accounts.models import User

    ids = []
    for ref in refs:
        try:
            ids.append(uuid.UUID(ref))
        except ValueError:
            continue
    return {
        str(subject): name
        for subject, name in User.objects.filter(subject__in=ids)
        .exclude(role="")
        .exclude(display_name="")
        .values_list("subject", "display_name")
    }


def _note_entries(order: Order, *, actor: User, purpose: Purpose) -> list[Entry]:
    notes = list(order.notes.all())
    shown = _sealed(
        notes,
        "body",
        key="orders.OrderNote.body",
        role=role_of(actor),
        purpose=purpose,
        actor=actor,
    )
    roles = dict(Role.choices)
    # Colleagues by the display name the administrator gave them (staff data; issue 22).
    names = _display_names({note.author_ref for note in notes})
    return [
        Entry(
            note.at,
            "note",
            f"Internal note by {names[note.author_ref]} ({roles.get(note.author_role, 'staff')})"
            if names.get(note.author_ref)
            else f"Internal note ({roles.get(note.author_role, 'staff')})",
            "",
            text,
            level,
        )
        for note, (text, level) in zip(notes, shown, strict=True)
    ]


def timeline(*, order: Order, actor: User) -> list[Entry]:
    """Everything that happened to the order, oldest first."""
    purpose = PAGE_PURPOSE[role_of(actor)]
    entries = [
        *_order_entries(order),
        *_payment_entries(order, role=role_of(actor)),
        *_shipment_entries(order),
        *_return_entries(order),
        *_dispute_entries(order),
        *_message_entries(order),
        *_cancellation_entries(order, actor=actor, purpose=purpose),
        *_note_entries(order, actor=actor, purpose=purpose),
    ]
    return sorted(entries, key=lambda e: e.at)
