"""The return request form: a quantity per order line, a reason from a list, an optional note."""

from __future__ import annotations

from typing import Any

from django import forms

from lookout.returns.models import Reason
from lookout.returns.services import NOTE_MAX


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *Reason.choices],
        error_messages={"required": "Choose the reason for the return."},
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything we should know? (optional)",
    )

    def __init__(self, *args: Any, lines: list[dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for row in lines:
            line = row["line"]
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=max(row["left"], 0),
                initial=0,
                required=False,
                label=f"{line.name} ({line.sku})",
                error_messages={
                    "max_value": f"You can return at most {row['left']} of {line.name}.",
                    "min_value": "A quantity cannot be negative.",
                    "invalid": "Type a whole number.",
                },
            )

    def quantity_fields(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return [(row, self[f"qty_{row['line'].pk}"]) for row in self.lines]

    def quantities(self) -> dict[int, int]:
        return {
            row["line"].pk: int(self.cleaned_data.get(f"qty_{row['line'].pk}") or 0)
            for row in self.lines
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(self.quantities().values()):
            raise forms.ValidationError("Choose at least one item to return.")
        return data
