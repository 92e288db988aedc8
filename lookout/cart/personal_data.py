"""Carts hold products and quantities, identified by a hashed random token: nobody is named."""

from lookout.cart.models import Cart, CartLine
from lookout.core.inventory import CART_RETENTION, NotPersonal

FIELDS = {
    Cart: {
        "id": NotPersonal("row number", retention=CART_RETENTION),
        "token_hash": NotPersonal(
            "hash of a random token held only by the shopper's URL; not linked to any person",
            retention=CART_RETENTION,
        ),
        "created_at": NotPersonal("when the cart was opened", retention=CART_RETENTION),
        "updated_at": NotPersonal("when the cart last changed", retention=CART_RETENTION),
        "voucher_code": NotPersonal(
            "a discount code applied to the cart; codes describe offers, not people",
            retention=CART_RETENTION,
        ),
    },
    CartLine: {
        "id": NotPersonal("row number", retention=CART_RETENTION),
        "cart": NotPersonal("which anonymous cart", retention=CART_RETENTION),
        "product": NotPersonal("a product for sale", retention=CART_RETENTION),
        "quantity": NotPersonal("how many", retention=CART_RETENTION),
        "added_at": NotPersonal("when the line was added", retention=CART_RETENTION),
    },
}
