"""How a guest reaches their order without an account: a signed, expiring link (sent by email)
plus the order number typed on the page. Either alone shows nothing.

The link carries only the order id, signed with the site's secret (django.core.signing);
a wrong signature, an expired link and a wrong number all get the same answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lookout.access import reveal
from lookout.core.errors import NotFound
from lookout.core.purposes import Purpose
from lookout.inbox.services import send_message
from lookout.orders.models import Order, Status

logger = logging.getLogger(__name__)

SALT = "lookout.orders.guest-link"
DEFAULT_DAYS = 90
# The address the payment processor sends the buyer back to: a link of its own, not a guest
# link, valid only for a short while after the order was placed (issue 19, finding 4).
RETURN_SALT = "lookout.checkout.return-link"
DEFAULT_RETURN_HOURS = 2
NOT_FOUND = "We could not find an order for that link and order number. The link may have expired."


def link_days() -> int:
    return int(getattr(settings, "LOOKOUT_GUEST_LINK_DAYS", DEFAULT_DAYS))


def guest_token(*, order: Order) -> str:
    return signing.dumps(str(order.id), salt=SALT, compress=False)


class _PlacedAtSigner(signing.TimestampSigner):
    """Django's timestamped signer, dated when the order was placed instead of now."""

    def __init__(self, *, placed_at: datetime, salt: str) -> None:
        super().__init__(salt=salt)
        self._placed_at = placed_at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._placed_at.timestamp()))


def return_hours() -> int:
    return int(getattr(settings, "LOOKOUT_RETURN_LINK_HOURS", DEFAULT_RETURN_HOURS))


def return_token(*, order: Order) -> str:
    """The token of the address the payment processor sends the buyer back to: the same for
    every start of the order's payment, valid for `return_hours()` from the moment the order
    was placed, and no guest link (a salt of its own).

    Why the same: opening a processor session is idempotent on its key only while the request
    is the same. A retry after a crash between "session opened" and "reference saved" must
    send the same return address, or the processor refuses the reused key and the order stays
    unpaid (issue 27, finding 2). Why short and apart: the return address passes through the
    processor and the browser's history; with it alone nobody may learn what the guest link's
    second factor, the order number, protects (issue 19, finding 4)."""
    return _PlacedAtSigner(placed_at=order.placed_at, salt=RETURN_SALT).sign_object(
        str(order.id), compress=False
    )


def order_for_return_token(*, token: str) -> Order:
    """The order a valid, unexpired return address points at."""
    try:
        order_id = signing.loads(token, salt=RETURN_SALT, max_age=return_hours() * 3600)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound(NOT_FOUND) from exc
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(NOT_FOUND)
    return order


def guest_path(*, order: Order) -> str:
    return reverse("orders:guest", args=[guest_token(order=order)])


def order_for_token(*, token: str) -> Order:
    """The order a valid, unexpired link points at (the number is checked separately)."""
    try:
        order_id = signing.loads(token, salt=SALT, max_age=link_days() * 86400)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound(NOT_FOUND) from exc
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(NOT_FOUND)
    return order


def open_order(*, token: str, number: str) -> Order:
    order = order_for_token(token=token)
    if (number or "").strip().upper() != order.number:
        raise NotFound(NOT_FOUND)
    return order


def site_url() -> str:
    """The store's own address, for links sent outside a request (webhook, reconciliation)."""
    return str(getattr(settings, "LOOKOUT_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def link_sent_key(order: Order) -> str:
    return f"order:{order.id}:guest-link"


LINK_SENT_TITLE = "We emailed you the link to this order"
LINK_SENT_BODY = (
    "We sent the link to this page and the order number {number} to the email address you gave "
    "at checkout. Keep that email: the link and the number together open this order."
)


def email_link(*, order: Order, base_url: str) -> bool:
    """Email the guest their link and order number, once per order (the email is read for an
    account notice). Returns whether this call sent it.

    Signed-in buyers have no contact email on the order: their messages go to their inbox.

    Why once, and how: the link is emailed by whichever way the order became paid (the return
    page, the processor's webhook, reconciliation), and two of them may both see it happen.
    The guest's inbox message saying the link was sent is the claim: its dedupe key is unique,
    so only one sender posts it, and it commits with the sending (a mail server that is down
    rolls the claim back, and the next try sends)."""
    delivery = order.delivery
    if delivery.email is None:
        return False
    address = reveal(delivery, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]
    if not address:
        return False
    link = base_url.rstrip("/") + guest_path(order=order)
    with transaction.atomic():
        claimed = send_message(
            subject=order.subject,
            kind="order_update",
            title=LINK_SENT_TITLE,
            body=LINK_SENT_BODY.format(number=order.number),
            dedupe_key=link_sent_key(order),
        )
        if claimed is None:
            return False  # sent already, by another way the payment arrived
        send_mail(
            subject=f"Your Lookout order {order.number}",
            message=(
                f"Thank you for your order {order.number}.\n\n"
                f"Follow this link and enter the order number to see your order and our "
                f"messages about it (the link works for {link_days()} days):\n{link}\n"
            ),
            from_email=None,
            recipient_list=[address],
        )
    return True


# How far back the sweep looks for a paid guest order whose link was never emailed: a payment
# is decided within the hold (default 30 minutes), by webhook or reconciliation.
SWEEP_WINDOW = timedelta(hours=2)
PAID_OR_LATER = (Status.PAID, Status.PROCESSING, Status.SHIPPED, Status.DELIVERED)


def email_missing_links(*, now: datetime | None = None, limit: int = 200) -> int:
    """Email the link of every guest order paid within `SWEEP_WINDOW` that has none yet: the
    buyer who paid and never came back to the return page (paid by webhook or reconciliation,
    or the return page's email failed). Returns how many were sent; a failed send is logged
    (without the address) and tried again next run."""
    from lookout.inbox.models import Message

    now = now or timezone.now()
    candidates = list(
        Order.objects.filter(
            status__in=PAID_OR_LATER,
            paid_at__gte=now - SWEEP_WINDOW,
            delivery__email__isnull=False,
        )
        .select_related("delivery")
        .order_by("paid_at")[:limit]
    )
    sent = set(
        Message.objects.filter(
            dedupe_key__in=[link_sent_key(order) for order in candidates]
        ).values_list("dedupe_key", flat=True)
    )
    count = 0
    for order in candidates:
        if link_sent_key(order) in sent:
            continue
        try:
            count += email_link(order=order, base_url=site_url())
        except Exception:  # a mail server down: the next run tries again
            logger.exception("guest link email failed for order %s", order.number)
    return count
