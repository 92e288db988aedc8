"""Discount codes describe an offer, never a person: nothing here is personal (C2.1). Who used
a code is not recorded; an order keeps the code it used, with the order's own retention."""

from lookout.core.inventory import NotPersonal
from lookout.vouchers.models import Voucher

_OFFER = "discount code data: describes an offer, not a person"

FIELDS = {
    Voucher: {
        "id": NotPersonal("row number"),
        "code": NotPersonal(
            "the code itself: printed or published by the store, given to no one in particular"
        ),
        "kind": NotPersonal(_OFFER),
        "percent": NotPersonal(_OFFER),
        "amount": NotPersonal("USD amount off"),
        "minimum_order": NotPersonal("USD amount"),
        "valid_from": NotPersonal(_OFFER),
        "valid_until": NotPersonal(_OFFER),
        "usage_limit": NotPersonal(_OFFER),
        "times_used": NotPersonal("a count of uses, never who used it"),
        "categories": NotPersonal("product categories the code applies to"),
        "active": NotPersonal(_OFFER),
        "created_at": NotPersonal("when the code was made"),
    },
}
