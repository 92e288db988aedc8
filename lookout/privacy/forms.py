"""Forms of the privacy centre; they validate input only (services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from lookout.privacy.models import (
    MAX_EXTENSION_DAYS,
    ExtensionReason,
    Kind,
    LiftReason,
    Reason,
    RestrictionGround,
    Status,
)
from lookout.privacy.services import MAX_DETAILS


class AccountRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices)
    password = forms.CharField(
        label="Your password (we ask again to be sure it is you)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=200,
    )
    details = forms.CharField(
        label="What is wrong, and what should it say? (corrections only)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_DETAILS,
        required=False,
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        if data.get("kind") == Kind.CORRECTION and not (data.get("details") or "").strip():
            self.add_error("details", "Tell us what is wrong and what it should say.")
        return data


class EmailChangeForm(forms.Form):
    """Its own ids: the request form beside it on the privacy centre has a `password` too, and
    each label must name its own field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "email_change_%s")
        super().__init__(*args, **kwargs)

    email = forms.EmailField(label="New email", max_length=254)
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=200,
    )


class GuestStartForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices)
    email = forms.EmailField(label="The email you gave with the order", max_length=254)
    order_number = forms.RegexField(
        label="Order number",
        regex=r"^\s*[A-Za-z]{2}-[A-Za-z0-9]{8}\s*$",
        max_length=20,
        error_messages={"invalid": "Order numbers look like LK-ABCD2345."},
    )


class GuestCodeForm(forms.Form):
    challenge = forms.UUIDField(widget=forms.HiddenInput)
    code = forms.RegexField(
        label="The 6-digit code from our email",
        regex=r"^\s*[0-9]{6}\s*$",
        max_length=12,
        error_messages={"invalid": "The code is 6 digits."},
    )
    details = forms.CharField(
        label="What is wrong, and what should it say? (corrections only)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_DETAILS,
        required=False,
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(Status.COMPLETED, "Carried out"), (Status.REFUSED, "Refused")]
    )
    reason = forms.ChoiceField(choices=Reason.choices)


class DeliveryCorrectionForm(forms.Form):
    order = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(max_length=32, required=False)
    email = forms.EmailField(max_length=254, required=False)


class ExtensionForm(forms.Form):
    """The officer's one extension of a request (C6.8). Its own ids: the decision form on the
    same page has a `reason` too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "extend_%s")
        super().__init__(*args, **kwargs)

    days = forms.IntegerField(
        label=f"Extra days (1 to {MAX_EXTENSION_DAYS}, once)",
        min_value=1,
        max_value=MAX_EXTENSION_DAYS,
        error_messages={
            "max_value": f"An extension is at most {MAX_EXTENSION_DAYS} days.",
            "min_value": "An extension is at least 1 day.",
            "required": "Say how many days you need.",
        },
    )
    reason = forms.ChoiceField(
        label="Reason the person will see",
        choices=[("", "Choose a reason"), *ExtensionReason.choices],
        error_messages={"required": "Choose the reason the person will see."},
    )


class RestrictionForm(forms.Form):
    """A person asking to restrict the processing of their data (Art. 18, C6.9). Its own ids:
    the other forms of the privacy centre have a `password` too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "restrict_%s")
        super().__init__(*args, **kwargs)

    ground = forms.ChoiceField(
        label="Why",
        choices=RestrictionGround.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you want the processing restricted."},
    )
    password = forms.CharField(
        label="Your password (we ask again to be sure it is you)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=200,
    )


class LiftForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason the person will see",
        choices=[("", "Choose a reason"), *LiftReason.choices],
        error_messages={"required": "Choose the reason the person will see."},
    )
