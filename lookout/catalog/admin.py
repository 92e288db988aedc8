"""The catalog manager's tool: products, prices and stock in the Django admin (C4.3).

No model here holds a personal field, so the admin shows none. The form checks the price
rules the database enforces (above zero, at most the list price), so a bad price is a message,
not an error page; saving re-indexes the product for search, and every save or delete bumps
the page-cache generation so cached storefront pages show the change at once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet

from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Product
from lookout.catalog.search import index_products, unindex_products


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]

    def save_model(self, request: Any, obj: Category, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        bump_generation()

    def delete_model(self, request: Any, obj: Category) -> None:
        super().delete_model(request, obj)
        bump_generation()

    def delete_queryset(self, request: Any, queryset: QuerySet[Category]) -> None:
        super().delete_queryset(request, queryset)
        bump_generation()


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
        index_products([obj])
        bump_generation()

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """ "Works with" links are saved here, after save_model: pages listing them change."""
        super().save_related(request, form, formsets, change)
        bump_generation()

    def delete_model(self, request: Any, obj: Product) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        unindex_products([pk])
        bump_generation()

    def delete_queryset(self, request: Any, queryset: QuerySet[Product]) -> None:
        """The "delete selected" action."""
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        unindex_products(ids)
        bump_generation()
