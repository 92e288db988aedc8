"""The catalog manager's tool: products, prices and stock in the Django admin (C4.3).

No model here holds a personal field, so the admin shows none. The form checks the price
rules the database enforces (above zero, at most the list price), so a bad price is a message,
not an error page; saving re-indexes the product for search, and every save or delete bumps
the page-cache generation so cached storefront pages show the change at once.

Photos are an inline of the product: each row takes an upload, an alt text, a position and, for
a product with variants, optionally the variant it shows (that variant's page shows it first).
The upload is checked and re-encoded by `photos.prepare` while the form is cleaned, so a file
that is not a usable photo is a message under its field and nothing is stored; a deleted row's
files go once the deletion commits (`photos.forget_files`).

Variants are an inline too (docs/decisions/0046-product-variants.md): each row a SKU, its
options typed as "Colour: Black; Pack: 2-pack", its prices, stock and drawing colour. A row's
other fields (name, category, specs) are copied from the product when saved, and the product
becomes a product with variants (or a single product again when its last variant goes): its
price, list price and stock then summarise the variants and are not edited on its own form. A
variant's own change page leads to its product's, where its row is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from lookout.catalog import photos, services
from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Product, ProductPhoto, Structure
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
        fields = ["upload", "alt_text", "variant", "position"]
        labels = {"variant": "Shows variant"}

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


class ProductPhotoFormSet(BaseInlineFormSet):
    """A photo's variant is one of this product's variants, named by its options."""

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        field = form.fields.get("variant")
        if field is None:
            return
        product = self.instance
        field.queryset = (
            Product.objects.filter(parent=product).order_by("pk")
            if product.pk and product.is_parent
            else Product.objects.none()
        )
        field.label_from_instance = lambda variant: variant.option_label or variant.sku
        field.empty_label = "The whole product"


class ProductPhotoInline(admin.TabularInline):
    model = ProductPhoto
    fk_name = "product"
    form = ProductPhotoForm
    formset = ProductPhotoFormSet
    fields = ["preview", "upload", "alt_text", "variant", "position"]
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


class VariantForm(forms.ModelForm):
    """One variant: its SKU, options, prices, stock and drawing colour; the rest is copied from
    its product when it is saved (`services.variant_fields`)."""

    options_text = forms.CharField(
        label="Options",
        max_length=200,
        help_text='Name: value pairs separated by ";", e.g. "Colour: Black; Pack: 2-pack". '
        "Every variant of a product names the same options, in the same order.",
    )

    class Meta:
        model = Product
        fields = ["sku", "options_text", "list_price", "price", "stock", "hue"]
        labels = {"hue": "Drawing colour"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = services.options_text(self.instance.options)

    def clean_options_text(self) -> list[list[str]]:
        try:
            return services.parse_options(self.cleaned_data.get("options_text", ""))
        except services.CatalogError as error:
            raise forms.ValidationError(error.message, code="options") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        price, list_price = data.get("price"), data.get("list_price")
        if price is not None and price <= 0:
            self.add_error("price", "The price must be above $0.00.")
        elif price is not None and list_price is not None and price > list_price:
            self.add_error("price", "The price cannot be above the list price.")
        return data

    def save(self, commit: bool = True) -> Product:
        variant = super().save(commit=False)
        parent = variant.parent
        fields = services.variant_fields(
            parent, sku=variant.sku, options=self.cleaned_data["options_text"]
        )
        for name, value in fields.items():
            setattr(variant, name, value)
        if commit:
            variant.save()
        return variant


class VariantFormSet(BaseInlineFormSet):
    """The variants side by side: the same options in the same order, no two alike, and the
    product's name with the options short enough to name each one."""

    def clean(self) -> None:
        super().clean()
        seen: list[list[list[str]]] = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and form.cleaned_data.get("DELETE"):
                continue
            options = form.cleaned_data.get("options_text")
            sku = form.cleaned_data.get("sku") or ""
            if not options:
                continue
            try:
                services.check_variant_options(options, seen, sku=sku)
                services.variant_fields(self.instance, sku=sku, options=options)
            except services.CatalogError as error:
                form.add_error("options_text", error.message)
            seen.append(options)


class VariantInline(admin.TabularInline):
    model = Product
    fk_name = "parent"
    form = VariantForm
    formset = VariantFormSet
    fields = ["sku", "options_text", "list_price", "price", "stock", "hue"]
    ordering = ["pk"]
    extra = 0
    verbose_name = "variant"
    verbose_name_plural = "variants (colours, pack sizes...): each is bought on its own"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    inlines = [VariantInline, ProductPhotoInline]
    list_display = ["sku", "name", "brand", "category", "price", "list_price", "stock"]
    list_editable = ["stock"]
    list_filter = ["structure", "category", "brand"]
    search_fields = ["sku", "name", "brand"]
    filter_horizontal = ["works_with"]

    def get_readonly_fields(self, request: Any, obj: Product | None = None) -> Any:
        """A product with variants: its prices and stock are theirs, summed up; edit them."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_parent:
            readonly += ["list_price", "price", "stock"]
        return readonly

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "works_with":  # links are between products, not their variants
            kwargs["queryset"] = Product.objects.exclude(structure=Structure.CHILD)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """A variant is edited in its product's variants."""
        found = Product.objects.filter(pk=int(object_id)) if str(object_id).isdigit() else None
        parent_id = found.values_list("parent_id", flat=True).first() if found else None
        if parent_id is not None:
            return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[parent_id]))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: Any, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        index_products([obj])
        if obj.is_variant and obj.parent is not None:  # its stock edited in the list
            services.refresh_parent(obj.parent)
        elif obj.is_parent:  # its stock is its variants', whatever the list said
            services.refresh_parent(obj)
        bump_generation()

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """ "Works with" links, variants and photos are saved here, after save_model: pages
        change. The product becomes one with variants (or a single product again)."""
        super().save_related(request, form, formsets, change)
        product = form.instance
        has_variants = Product.objects.filter(parent=product).exists()
        structure = (
            Structure.PARENT
            if has_variants
            else (Structure.STANDALONE if product.is_parent else product.structure)
        )
        if structure != product.structure:
            product.structure = structure
            Product.objects.filter(pk=product.pk).update(structure=structure)
        if product.is_parent:
            services.sync_variants(product)
            services.refresh_parent(product)
        else:
            index_products([product])
        bump_generation()

    def delete_model(self, request: Any, obj: Product) -> None:
        pk, parent = obj.pk, obj.parent
        super().delete_model(request, obj)
        unindex_products([pk])
        if parent is not None:
            services.refresh_parent(parent)
        bump_generation()

    def delete_queryset(self, request: Any, queryset: QuerySet[Product]) -> None:
        """The "delete selected" action."""
        ids = list(queryset.values_list("pk", flat=True))
        parents = list(
            queryset.exclude(parent=None)
            .exclude(parent__in=ids)
            .values_list("parent_id", flat=True)
        )
        super().delete_queryset(request, queryset)
        unindex_products(ids)
        services.refresh_parents(parents)
        bump_generation()
