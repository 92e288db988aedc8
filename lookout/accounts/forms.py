"""Forms: validate what people type and say plainly what is wrong; no writes here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from lookout.accounts import services

# Long enough for any passphrase, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 512
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit

EMAIL_TAKEN_MESSAGE = (
    "An account with this email already exists. Sign in, or reset your password if you "
    "have forgotten it."
)


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label="Email",
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "required": "Please enter your email address.",
            "invalid": "Please enter a valid email address, like name@example.com.",
            "max_length": "An email address has at most 254 characters.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _password_field(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={
            "required": "Please enter a password.",
            "max_length": f"A password has at most {PASSWORD_MAX_LENGTH} characters.",
        },
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class SignUpForm(forms.Form):
    """Email and password, nothing else (C2.5); the marketing box starts unticked (C3.6)."""

    email = _email_field()
    password1 = _password_field("Password", "new-password")
    password2 = _password_field("Password again", "new-password")
    marketing_opt_in = forms.BooleanField(
        label=services.MARKETING_OPT_IN_WORDING, required=False, initial=False
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if services.email_in_use(email=email):
            raise forms.ValidationError(EMAIL_TAKEN_MESSAGE, code="taken")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords do not match.")
        elif one:
            try:
                password_validation.validate_password(one)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SignInForm(forms.Form):
    email = _email_field()
    password = _password_field("Password", "current-password")


class PasswordResetRequestForm(forms.Form):
    email = _email_field()


class OtpForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=16,
        error_messages={"required": "Please enter the code.", "max_length": "That is too long."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class MarketingForm(forms.Form):
    opted_in = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Please choose.", "invalid_choice": "Please choose yes or no."},
    )
