"""Operators register third-party scripts in the admin; the origin is derived, never typed."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from lookout.consent.models import ConsentReceipt, ThirdPartyScript
from lookout.consent.services import ConsentError, origin_of


class ThirdPartyScriptForm(forms.ModelForm):
    class Meta:
        model = ThirdPartyScript
        fields = ["name", "category", "src", "active"]

    def clean_src(self) -> str:
        src = self.cleaned_data["src"]
        try:
            origin_of(src)
        except ConsentError as error:
            raise forms.ValidationError(error.message) from error
        return src


@admin.register(ThirdPartyScript)
class ThirdPartyScriptAdmin(admin.ModelAdmin):
    form = ThirdPartyScriptForm
    list_display = ["name", "category", "origin", "active"]
    readonly_fields = ["origin"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.origin = origin_of(obj.src)
        super().save_model(request, obj, form, change)


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(admin.ModelAdmin):
    list_display = ["id", "method", "analytics", "marketing", "gpc", "created_at"]
    readonly_fields = [f.name for f in ConsentReceipt._meta.fields]
    exclude = ["subject"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
