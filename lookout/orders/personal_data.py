"""Declarations of every order field (C2.1): `Delivery` holds personal data, and so do the
staff's reason for a cancellation and their internal notes on an order (free text, sealed)."""

from lookout.core.inventory import CACHE_RETENTION, ORDER_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose as P
from lookout.orders.models import (
    Cancellation,
    Delivery,
    Order,
    OrderEvent,
    OrderLine,
    OrderNote,
)

R = ORDER_RETENTION
# Every delivery field: the buyer's own view, access requests, after-sales, notices to the buyer.
READ_FOR = (P.SELF_SERVICE, P.SUBJECT_REQUEST, P.AFTER_SALES, P.ACCOUNT_NOTICE)

FIELDS = {
    Order: {
        "id": NotPersonal("random order id", retention=R),
        "number": NotPersonal("random order number shown to the buyer", retention=R),
        "subject": NotPersonal(
            "pseudonymous buyer id; names nobody without the vault", retention=R
        ),
        "user": NotPersonal("link to the buyer's account row (itself declared)", retention=R),
        "status": NotPersonal("where the order is", retention=R),
        "subtotal": NotPersonal("USD amount", retention=R),
        "shipping": NotPersonal("USD amount, always 0.00", retention=R),
        "total": NotPersonal("USD amount", retention=R),
        "voucher_code": NotPersonal(
            "the discount code used, if any; codes describe offers, not people", retention=R
        ),
        "discount": NotPersonal("USD amount taken off by a discount code", retention=R),
        "idempotency_key": NotPersonal("random key of the checkout submit", retention=R),
        "cart_id": NotPersonal("which anonymous cart the order came from", retention=R),
        "payment_id": NotPersonal("the store's payment row id", retention=R),
        "policy_versions": NotPersonal("policy versions in force at the order (C1.5)", retention=R),
        "placed_at": NotPersonal("when placed", retention=R),
        "paid_at": NotPersonal("when paid", retention=R),
        "ship_by": NotPersonal("promised hand-over date (C1.6)", retention=R),
        "shipped_at": NotPersonal("when shipped", retention=R),
        "delivered_at": NotPersonal("when delivered", retention=R),
        "closed_at": NotPersonal("when cancelled or payment failed", retention=R),
        "hold_client": NotPersonal(
            "a keyed HMAC digest of the client network that placed the order (never the "
            "address), counted while the order waits for payment (orders.limits); blanked a "
            "day after placing by the rule orders.hold_clients",
            retention=CACHE_RETENTION,
        ),
    },
    OrderLine: {
        "id": NotPersonal("row number", retention=R),
        "order": NotPersonal("which order", retention=R),
        "product": NotPersonal("a product for sale", retention=R),
        "sku": NotPersonal("product code at the time", retention=R),
        "name": NotPersonal("product name at the time", retention=R),
        "unit_price": NotPersonal("USD amount", retention=R),
        "quantity": NotPersonal("how many", retention=R),
        "line_total": NotPersonal("USD amount", retention=R),
        "discount": NotPersonal("USD amount: the line's share of a discount code", retention=R),
    },
    OrderEvent: {
        "id": NotPersonal("row number", retention=R),
        "order": NotPersonal("which order", retention=R),
        "from_status": NotPersonal("previous status", retention=R),
        "to_status": NotPersonal("new status", retention=R),
        "actor_ref": NotPersonal("pseudonymous subject id of the actor, or 'system'", retention=R),
        "at": NotPersonal("when", retention=R),
        "note": NotPersonal("fixed wording chosen by the code, never typed text", retention=R),
    },
    Delivery: {
        "id": NotPersonal("random row id", retention=R),
        "subject": NotPersonal("pseudonymous buyer id", retention=R),
        "order": NotPersonal("which order", retention=R),
        "name": personal("user.name", *READ_FOR, P.DELIVERY, P.FULFILMENT, retention=R),
        "address": personal(
            "user.contact.address", *READ_FOR, P.DELIVERY, P.FULFILMENT, retention=R
        ),
        "phone": personal(
            "user.contact.phone_number", *READ_FOR, P.DELIVERY, P.FULFILMENT, retention=R
        ),
        "email": personal("user.contact.email", *READ_FOR, retention=R),
        "email_index": personal(
            "user.contact.email",
            P.ACCOUNT_NOTICE,
            retention=R,
            stored_as="keyed blind index (HMAC), for finding a guest's orders by email",
        ),
        "country": NotPersonal("destination country, kept for aggregate reports", retention=R),
    },
    Cancellation: {
        "id": NotPersonal("random row id", retention=R),
        "subject": NotPersonal("pseudonymous buyer id", retention=R),
        "order": NotPersonal("which order", retention=R),
        "by": NotPersonal("customer, after-sales or the store", retention=R),
        "actor_ref": NotPersonal(
            "pseudonymous subject id of who cancelled, 'guest' or 'system'", retention=R
        ),
        "payment": NotPersonal("what became of the payment: voided, refunded", retention=R),
        # Free text typed by staff about the buyer's order: it may say anything about them.
        # Removed by erasure (privacy.erasure), like every free text.
        "reason": personal("user.content.private", P.AFTER_SALES, P.SUBJECT_REQUEST, retention=R),
        "at": NotPersonal("when cancelled", retention=R),
    },
    OrderNote: {
        "id": NotPersonal("random row id", retention=R),
        "subject": NotPersonal("pseudonymous buyer id", retention=R),
        "order": NotPersonal("which order", retention=R),
        "author_ref": NotPersonal("pseudonymous subject id of the staff member", retention=R),
        "author_role": NotPersonal("the staff member's role when they wrote it", retention=R),
        # Free text typed by staff about the buyer's order: it may say anything about them.
        # Deleted by erasure (privacy.erasure) and by retention (orders.retention).
        "body": personal(
            "user.content.private",
            P.AFTER_SALES,
            P.FULFILMENT,
            P.REFUND,
            P.SUBJECT_REQUEST,
            retention=R,
        ),
        "at": NotPersonal("when written", retention=R),
    },
}
