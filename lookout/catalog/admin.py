"""The catalog manager's tool: products, prices and stock in the Django admin (C4.3).

No model here holds a personal field, so the admin shows none. The form checks the price
rules the database enforces (above zero, at most the list price), so a bad price is a message,
not an error page; saving re-indexes the product for search.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from lookout.catalog.models import Category, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [  # every editable field but the search text, which services.index keeps
            "sku", "slug", "name", "brand", "category", "summary", "description", "list_price",
            "price", "stock", "released_on", "resolution", "field_of_view", "night_vision",
            "power", "storage", "connectivity", "weatherproof", "placement", "smart_home", "hue",
            "works_with",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        price, list_price = data.get("price"), data.get("list_price")
        if price is not None and price <= 0:
            self.add_error("price", "The price must be above $0.00.")
        elif price is not None and list_price is not None and price > list_price:
            self.add_error("price", "The price cannot be above the list price.")
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["sku", "name", "brand", "category", "price", "list_price", "stock"]
    list_editable = ["stock"]
    list_filter = ["category", "brand"]
    search_fields = ["sku", "name", "brand"]
    filter_horizontal = ["works_with"]

    def save_model(self, request: Any, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        from lookout.catalog.search import index_products

        index_products([obj])
