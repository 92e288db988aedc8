"""A cart is known only by a random token that the shopper carries in the URL (never a cookie).

The database keeps a SHA-256 of the token, not the token: someone reading the database cannot
open or change a shopper's cart. Carts hold products and quantities only, nothing personal, and
are deleted CART_RETENTION after their last change.
"""

from __future__ import annotations

from django.db import models

from lookout.catalog.models import Product


class Cart(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # A discount code the shopper applied (lookout.vouchers), checked again at checkout.
    voucher_code = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_one_line_per_product"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_quantity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"
