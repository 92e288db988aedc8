"""The back-office form for publishing a policy version (administrators only)."""

from __future__ import annotations

from typing import Any

from django import forms

from lookout.policies.models import Document
from lookout.policies.services import TEXT_MAX

FILE_MAX_BYTES = 512 * 1024
FILE_SUFFIXES = (".md", ".markdown", ".txt")


class PublishForm(forms.Form):
    document = forms.ChoiceField(choices=Document.choices)
    file = forms.FileField(
        required=False, help_text="A Markdown file (.md), or paste the text below."
    )
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 16}), max_length=TEXT_MAX
    )
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What changes, in plain words. Required for a material change.",
    )
    material = forms.BooleanField(
        required=False,
        help_text="Material changes need the notice period and are sent to every customer.",
    )
    effective_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to take effect on posting.",
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )

    def clean_file(self) -> str | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if not upload.name.lower().endswith(FILE_SUFFIXES):
            raise forms.ValidationError("Upload a Markdown file ending in .md, .markdown or .txt.")
        if upload.size > FILE_MAX_BYTES:
            raise forms.ValidationError("That file is too large for a policy (at most 512 KB).")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("That file is not UTF-8 text.") from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        from_file, typed = data.get("file"), (data.get("text") or "").strip()
        if from_file and typed:
            raise forms.ValidationError("Give the text either as a file or typed in, not both.")
        if not from_file and not typed and not self.errors:
            raise forms.ValidationError("Give the policy text, as a file or typed in.")
        data["body"] = from_file or typed
        return data
