"""What each payments field holds, why, for how long (C2.1). See lookout/core/inventory.py.

Card facts (brand, last four, expiry) are "user.financial.credit_card" and stored as plain
columns, by choice: C2.3 allows exactly these to be kept, a Payment row carries only the
order's id (no data-key subject to seal them under), and the four together do not identify a
card. They are erased with the order after its retention period. The card number and CVC are
not here because they never reach the store: the sandbox processor's page takes them.
The sandbox processor's own SQLite file is a stand-in for a third party's database, not the
store's, and holds no card numbers either (sandbox_processor/storage.py).
"""

from lookout.core.inventory import ORDER_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose as P
from lookout.payments.models import Payment, ProcessorEvent

_CARD = (P.REFUND, P.AFTER_SALES, P.SELF_SERVICE, P.SUBJECT_REQUEST, P.LEGAL)
_PLAIN = "plain column (allowed by C2.3: brand, last four digits, expiry)"

FIELDS = {
    Payment: {
        "id": NotPersonal("random row id"),
        "order_ref": NotPersonal("random id of the order paid for; names nobody by itself"),
        "amount": NotPersonal("the order total in USD"),
        "status": NotPersonal("where the payment stands (created, authorized, ...)"),
        "message": NotPersonal("the processor's fixed outcome text, e.g. 'card declined'"),
        "processor_reference": NotPersonal("random id of the processor's payment session"),
        "redirect_url": NotPersonal(
            "address of the processor's hosted page for this session; names nobody"
        ),
        "processor_token": NotPersonal(
            "random token the processor issued for this authorization; useless elsewhere"
        ),
        "brand": personal(
            "user.financial.credit_card", *_CARD, retention=ORDER_RETENTION, stored_as=_PLAIN
        ),
        "last4": personal(
            "user.financial.credit_card", *_CARD, retention=ORDER_RETENTION, stored_as=_PLAIN
        ),
        "exp_month": personal(
            "user.financial.credit_card", *_CARD, retention=ORDER_RETENTION, stored_as=_PLAIN
        ),
        "exp_year": personal(
            "user.financial.credit_card", *_CARD, retention=ORDER_RETENTION, stored_as=_PLAIN
        ),
        "authorized_amount": NotPersonal("amount the processor authorized"),
        "captured_amount": NotPersonal("amount charged"),
        "refunded_amount": NotPersonal("amount given back"),
        "idempotency_key": NotPersonal("random key from checkout; one payment per submit"),
        "created_at": NotPersonal("when the payment started"),
        "updated_at": NotPersonal("when the payment last changed"),
    },
    ProcessorEvent: {
        "event_id": NotPersonal("random id the processor gave the webhook"),
        "reference": NotPersonal("random id of the processor's payment session"),
        "kind": NotPersonal("what happened, e.g. 'payment.authorized'"),
        "received_at": NotPersonal("when the webhook arrived; kept for the replay window"),
    },
}
