"""Writes of the staff order desk (issue 20): an internal note on an order, and the tracking
details sent to the buyer again.

Both check the actor's role themselves, before anything is read or written, so a view that
forgot its own check still refuses (403); both write their audit entry in the same transaction
as the change it describes (C4.4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from lookout.access.roles import Role
from lookout.audit.services import record
from lookout.core.errors import Conflict, Forbidden, LookoutError
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.orders.models import Order, OrderNote, Status

if TYPE_CHECKING:
    from lookout.accounts.models import User

NOTE_MAX = 1000
# The roles that act on orders may leave a note for each other; each reads them for its own
# job (access.matrix). The others only see that a note exists.
MAY_NOTE = frozenset({Role.AFTER_SALES, Role.WAREHOUSE, Role.FINANCE})
MAY_RESEND_TRACKING = frozenset({Role.AFTER_SALES})
# One resend per order within this time: a double click, or a second agent answering the same
# call, must not flood the buyer's inbox and mailbox.
RESEND_GAP = timedelta(minutes=10)


def _role(actor: User) -> str:
    return str(actor.role) if actor.is_authenticated and actor.is_active and actor.role else ""


def may_note(actor: User) -> bool:
    return _role(actor) in MAY_NOTE


def may_resend_tracking(actor: User) -> bool:
    return _role(actor) in MAY_RESEND_TRACKING


def add_note(*, order: Order, actor: User, body: str) -> OrderNote:
    """Leave an internal note on `order`: sealed under the buyer's key; the audit entry names
    the sealed field and the order, never the words."""
    if not may_note(actor):
        raise Forbidden("Only after-sales, warehouse and finance staff may add a note.")
    text = (body or "").strip()
    if not text:
        raise LookoutError("Write the note before saving it.")
    if len(text) > NOTE_MAX:
        raise LookoutError(f"A note may be at most {NOTE_MAX} characters long.")
    with transaction.atomic():
        note = OrderNote(
            subject=order.subject,
            order=order,
            author_ref=str(actor.subject),
            author_role=_role(actor),
            body=text,
        )
        note.save()  # the body is sealed by its field's pre_save
        record(
            actor=actor,
            action="order.note_added",
            subject=order.subject,
            target=note,
            fields=["orders.OrderNote.body"],
            detail={"number": order.number},
        )
    return note


def tracking_key(order: Order) -> str:
    """The prefix of the dedupe keys of the order's resent tracking messages: the order page
    lists every message whose key starts `order:<id>:`."""
    return f"order:{order.id}:tracking:"


def resend_tracking(
    *, order: Order, actor: User, email_guest: Callable[[Order], bool] | None = None
) -> bool:
    """Send the buyer the carrier and tracking number of their shipped order again: a new
    message in their inbox (a guest reads it through their order link), and, for a guest,
    `email_guest(order)` (the view passes the guest link's email, which needs the site's
    address). Returns whether an email went out.

    Refused (409) before shipment, and within `RESEND_GAP` of the last resend."""
    from lookout.shipping.models import Shipment

    if not may_resend_tracking(actor):
        raise Forbidden("Only after-sales staff may send the tracking details again.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        shipment = Shipment.objects.filter(order=order).first()
        if order.status not in (Status.SHIPPED, Status.DELIVERED) or shipment is None:
            raise Conflict(
                f"Order {order.number} has not been handed to the carrier yet: there is no "
                "tracking number to send."
            )
        last = (
            Message.objects.filter(dedupe_key__startswith=tracking_key(order))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        now = timezone.now()
        if last is not None and now - last < RESEND_GAP:
            minutes = int(RESEND_GAP.total_seconds() // 60)
            raise Conflict(
                f"The tracking details of order {order.number} were sent less than {minutes} "
                "minutes ago; nothing was sent again."
            )
        send_message(
            subject=order.subject,
            kind=Message.Kind.ORDER_UPDATE,
            title=f"Tracking your parcel — order {order.number}",
            body=(
                f"Order {order.number} is with {shipment.carrier}. Its tracking number is "
                f"{shipment.tracking_number}."
            ),
            dedupe_key=f"{tracking_key(order)}{now.strftime('%Y%m%dT%H%M%S%f')}",
        )
        guest = order.user_id is None and email_guest is not None
        record(
            actor=actor,
            action="order.tracking_resent",
            subject=order.subject,
            target=order,
            detail={"number": order.number, "guest_link_emailed": guest},
        )
    # After the commit: an email cannot be taken back if the message's transaction failed.
    return bool(email_guest(order)) if guest and email_guest is not None else False
