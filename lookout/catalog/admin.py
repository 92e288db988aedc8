"""The catalog manager's tool: products, prices and stock in the Django admin (C4.3).

No model here holds a personal field, so the admin shows none. The form checks the price
rules the database enforces (above zero, at most the list price), so a bad price is a message,
not an error page; saving re-indexes the product for search, and every save or delete bumps
the page-cache generation so cached storefront pages show the change at once.

Photos are an inline of the product: each row takes an upload, an alt text and a position.
The upload is checked and re-encoded by `photos.prepare` while the form is cleaned, so a file
that is not a usable photo is a message under its field and nothing is stored; a deleted row's
files go once the deletion commits (`photos.forget_files`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils.html import format_html

from lookout.catalog import photos
from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Product, ProductPhoto
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


class ProductPhotoForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Photo",
        widget=forms.ClearableFileInput(attrs={"accept": photos.ACCEPT_ATTRIBUTE}),
        help_text=(
            f"JPEG, PNG or WebP, at most {photos.MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
            f"{photos.MAX_PIXELS // 1_000_000} megapixels. Location and camera data are removed."
        ),
    )

    class Meta:
        model = ProductPhoto
        fields = ["upload", "alt_text", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: photos.PreparedPhoto | None = None
        if self.instance.pk:
            self.fields["upload"].label = "Replace with"

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload:
            try:
                self.prepared = photos.prepare(upload)
            except photos.PhotoRejected as error:
                raise forms.ValidationError(error.messages, code=error.code) from None
        elif not self.instance.pk:
            raise forms.ValidationError("Choose a photo to upload.", code="required")
        return upload

    def save(self, commit: bool = True) -> ProductPhoto:
        photo = super().save(commit=False)
        if self.prepared is not None:
            photos.apply(photo, self.prepared)
        if commit:
            photo.save()
        return photo


class ProductPhotoInline(admin.TabularInline):
    model = ProductPhoto
    form = ProductPhotoForm
    fields = ["preview", "upload", "alt_text", "position"]
    readonly_fields = ["preview"]
    extra = 1

    @admin.display(description="Preview")
    def preview(self, obj: ProductPhoto) -> str:
        if not obj.pk or not obj.renditions:
            return "—"
        smallest = obj.renditions[0]
        return format_html(
            '<img src="{}" alt="{}" width="120" height="{}">',
            default_storage.url(smallest["webp"]),
            obj.alt_text,
            round(120 * smallest["height"] / smallest["width"]),
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    inlines = [ProductPhotoInline]
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
        """ "Works with" links and photos are saved here, after save_model: pages change."""
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
