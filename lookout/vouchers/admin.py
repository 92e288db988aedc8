"""The catalog manager's discount codes in the Django admin: one code at a time, or a batch of
single-use codes ("Generate single-use codes" on the list page). No field here is personal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from lookout.catalog.models import Category
from lookout.core.errors import LookoutError
from lookout.vouchers.models import CODE_MAX, Voucher, normalise_code
from lookout.vouchers.services import BATCH_MAX, CODE_LENGTH, generate_batch, uses


def _check_value(form: forms.BaseForm, data: dict[str, Any]) -> None:
    kind = data.get("kind")
    if kind == Voucher.Kind.PERCENT and not 1 <= (data.get("percent") or 0) <= 100:
        form.add_error("percent", "A percentage off must be between 1 and 100.")
    if kind == Voucher.Kind.AMOUNT and not (data.get("amount") or 0) > 0:
        form.add_error("amount", "A fixed amount off must be above $0.00.")
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end <= start:
        form.add_error("valid_until", "The end must come after the start.")
    if (data.get("minimum_order") or 0) < 0:
        form.add_error("minimum_order", "The minimum order cannot be negative.")


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = [
            "code", "kind", "percent", "amount", "minimum_order", "valid_from", "valid_until",
            "usage_limit", "categories", "active",
        ]  # fmt: skip

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data.get("code", ""))
        if not code or not code.isascii() or not code.replace("-", "").isalnum():
            raise forms.ValidationError("A code holds letters, digits and '-' only.")
        if Voucher.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a code like this one.")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_value(self, data)
        limit = data.get("usage_limit")
        if limit is not None and limit < max(1, self.instance.times_used or 0):
            self.add_error(
                "usage_limit",
                f"The limit cannot be below the uses so far ({self.instance.times_used}).",
            )
        return data


class BatchForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=BATCH_MAX, initial=50)
    code_prefix = forms.CharField(
        label="Prefix",
        max_length=CODE_MAX - CODE_LENGTH,
        required=False,
        help_text="Optional, e.g. SPRING-; a random part of 10 characters follows.",
    )
    kind = forms.ChoiceField(choices=Voucher.Kind.choices)
    percent = forms.IntegerField(min_value=0, max_value=100, required=False, initial=10)
    amount = forms.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)
    minimum_order = forms.DecimalField(
        max_digits=12, decimal_places=2, required=False, min_value=0, initial=0
    )
    valid_from = forms.DateTimeField(required=False, help_text="Empty: from now")
    valid_until = forms.DateTimeField(required=False, help_text="Empty: no end")
    categories = forms.ModelMultipleChoiceField(Category.objects.all(), required=False)

    def clean_code_prefix(self) -> str:
        prefix = normalise_code(self.cleaned_data.get("code_prefix", ""))
        if prefix and (not prefix.isascii() or not prefix.replace("-", "").isalnum()):
            raise forms.ValidationError("A prefix holds letters, digits and '-' only.")
        return prefix

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_value(self, data)
        return data


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    form = VoucherForm
    list_display = [
        "code", "kind", "percent", "amount", "minimum_order", "valid_from", "valid_until",
        "usage_limit", "uses", "active",
    ]  # fmt: skip
    list_filter = ["active", "kind", "usage_limit"]
    search_fields = ["code"]
    readonly_fields = ["uses", "created_at"]
    filter_horizontal = ["categories"]
    actions = ["deactivate"]
    change_list_template = "vouchers/change_list.html"

    @admin.display(description="Times used")
    def uses(self, obj: Voucher) -> int:
        """Counted for a code with a limit; the orders naming it for one without (services)."""
        return uses([obj])[obj.pk]

    @admin.action(description="Deactivate the selected codes", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        changed = queryset.update(active=False)
        self.message_user(request, f"{changed} code(s) deactivated.", messages.SUCCESS)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="vouchers_voucher_generate",
            ),
            *super().get_urls(),
        ]

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        """A batch of single-use codes: the form, then the codes made, to copy or download."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BatchForm(request.POST or None)
        made: list[Voucher] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = generate_batch(
                    count=data["count"],
                    prefix=data["code_prefix"],
                    kind=data["kind"],
                    percent=data.get("percent") or 0,
                    amount=data.get("amount") or Decimal(0),
                    minimum_order=data.get("minimum_order") or Decimal(0),
                    valid_from=data.get("valid_from"),
                    valid_until=data.get("valid_until"),
                    category_ids=[c.pk for c in data.get("categories") or []],
                )
            except LookoutError as error:
                form.add_error(None, error.message)
            else:
                if request.POST.get("download"):
                    response = HttpResponse(
                        "code\n" + "".join(f"{v.code}\n" for v in made),
                        content_type="text/csv; charset=utf-8",
                    )
                    response["Content-Disposition"] = 'attachment; filename="codes.csv"'
                    return response
                self.message_user(
                    request, f"{len(made)} single-use code(s) made.", messages.SUCCESS
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Generate single-use codes",
            "form": form,
            "made": made,
            "codes": "\n".join(v.code for v in made),
        }
        return TemplateResponse(request, "vouchers/generate.html", context)
