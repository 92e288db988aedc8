"""Declarations of every returns field (C2.1): only the customer's own note is personal."""

from lookout.core.inventory import ORDER_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose as P
from lookout.returns.models import Dispute, Refund, ReturnEvent, ReturnLine, ReturnRequest

R = ORDER_RETENTION

FIELDS = {
    ReturnRequest: {
        "id": NotPersonal("random row id", retention=R),
        "number": NotPersonal("random return number shown to the customer", retention=R),
        "order": NotPersonal("which order", retention=R),
        "subject": NotPersonal("pseudonymous buyer id", retention=R),
        "status": NotPersonal("where the return is", retention=R),
        "reason": NotPersonal("one of a fixed list of reasons", retention=R),
        "note": personal(
            "user.content.private",
            P.AFTER_SALES,
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.ACCOUNT_NOTICE,
            retention=R,
        ),
        "rejection_reason": NotPersonal(
            "staff's sentence to the customer; refused if it looks like personal data",
            retention=R,
        ),
        "amount": NotPersonal("USD amount", retention=R),
        "window_closes_on": NotPersonal("last day of the 60-day window (C1.7)", retention=R),
        "carrier": NotPersonal("carrier company name", retention=R),
        "tracking_number": NotPersonal("carrier's random tracking number", retention=R),
        "requested_at": NotPersonal("when requested", retention=R),
        "received_at": NotPersonal("when received", retention=R),
        "closed_at": NotPersonal("when refunded or rejected", retention=R),
    },
    ReturnLine: {
        "id": NotPersonal("row number", retention=R),
        "ret": NotPersonal("which return", retention=R),
        "order_line": NotPersonal("which order line", retention=R),
        "quantity": NotPersonal("how many", retention=R),
        "amount": NotPersonal("USD amount", retention=R),
    },
    ReturnEvent: {
        "id": NotPersonal("row number", retention=R),
        "ret": NotPersonal("which return", retention=R),
        "from_status": NotPersonal("previous status", retention=R),
        "to_status": NotPersonal("new status", retention=R),
        "actor_ref": NotPersonal("pseudonymous subject id of the actor, or 'system'", retention=R),
        "at": NotPersonal("when", retention=R),
    },
    Refund: {
        "id": NotPersonal("random row id", retention=R),
        "ret": NotPersonal("which return", retention=R),
        "payment_id": NotPersonal("the store's payment row id", retention=R),
        "amount": NotPersonal("USD amount", retention=R),
        "status": NotPersonal("due, settled or cancelled", retention=R),
        "due_on": NotPersonal("10 business days after receipt (C1.8)", retention=R),
        "created_at": NotPersonal("when created", retention=R),
        "settled_at": NotPersonal("when settled", retention=R),
        "settled_by_ref": NotPersonal("pseudonymous subject id of the finance clerk", retention=R),
    },
    Dispute: {
        "id": NotPersonal("random row id", retention=R),
        "order": NotPersonal("which order", retention=R),
        "subject": NotPersonal("pseudonymous buyer id", retention=R),
        "partner": NotPersonal("the dispute-resolution vendor", retention=R),
        "reason": NotPersonal("one of a fixed list of reasons", retention=R),
        "status": NotPersonal("open or closed", retention=R),
        "case_reference": NotPersonal("random case reference", retention=R),
        "opened_by_ref": NotPersonal(
            "pseudonymous subject id of the after-sales clerk", retention=R
        ),
        "opened_at": NotPersonal("when opened", retention=R),
    },
}
