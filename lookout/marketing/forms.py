"""Forms of the promotions page: validate what the catalog manager types; no writes here."""

from __future__ import annotations

from django import forms

TITLE_MAX = 120
BODY_MAX = 5000


class PromotionForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX,
        strip=True,
        error_messages={
            "required": "Please give the promotion a title.",
            "max_length": f"A title has at most {TITLE_MAX} characters.",
        },
    )
    body = forms.CharField(
        label="Text",
        max_length=BODY_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text. The same offer for everyone: no personal prices or conditions.",
        error_messages={
            "required": "Please write the promotion's text.",
            "max_length": f"The text has at most {BODY_MAX} characters.",
        },
    )
