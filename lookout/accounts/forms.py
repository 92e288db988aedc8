"""Forms: validate what people type and say plainly what is wrong; no writes here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm

from lookout.accounts import services, throttle
from lookout.core.client_ip import client_ip

# Long enough for any passphrase, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 512
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit


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
    """Email and password, nothing else (C2.5); the marketing box starts unticked (C3.6).

    Whether the email already has an account is not the form's business: the answer would tell
    anyone who has an account (`services.open_account` deals with it, by email)."""

    email = _email_field()
    password1 = _password_field("Password", "new-password")
    password2 = _password_field("Password again", "new-password")
    marketing_opt_in = forms.BooleanField(
        label=services.MARKETING_OPT_IN_WORDING, required=False, initial=False
    )

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


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password checked through the attempt limiter: it
    shares the account's re-entry budget with the privacy centre (`throttle.reauth_buckets`), so
    a borrowed session cannot guess the password here instead. `throttled` is set when refused
    (the view answers 429)."""

    throttled: throttle.Throttled | None = None
    required_css_class = "required"  # as the admin's own password change form marks fields

    def __init__(self, user: Any, *args: Any, ip: str, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.ip = ip

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        try:
            right = throttle.guarded(
                buckets=throttle.reauth_buckets(user_subject=str(self.user.subject), ip=self.ip),
                check=lambda: self.user.check_password(old),
                what="password attempts",
            )
        except throttle.Throttled as refused:
            self.throttled = refused
            raise forms.ValidationError(refused.message, code="throttled") from None
        if not right:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old


class LimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The Django admin's sign-in (/admin/login/), its password check through the same limiter
    and the same buckets as the store's sign-in (`throttle.login_buckets`): the admin is not a
    second door with its own, or no, count. `throttled` is set when refused (answered 429)."""

    throttled: throttle.Throttled | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        failures: list[forms.ValidationError] = []

        def signs_in() -> bool:
            try:
                super(LimitedAdminAuthenticationForm, self).clean()
            except forms.ValidationError as error:
                failures.append(error)
                return False
            return True

        try:
            throttle.guarded(
                buckets=throttle.login_buckets(
                    email=username, ip=client_ip(self.request) if self.request else ""
                ),
                check=signs_in,
            )
        except throttle.Throttled as refused:
            self.throttled = refused
            raise forms.ValidationError(refused.message, code="throttled") from None
        if failures:
            raise failures[0]
        return self.cleaned_data


class PasswordResetRequestForm(forms.Form):
    email = _email_field()


class OtpForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        help_text="Lost your phone? Enter one of your recovery codes instead.",
        max_length=16,
        error_messages={"required": "Please enter the code.", "max_length": "That is too long."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


class MarketingForm(forms.Form):
    opted_in = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Please choose.", "invalid_choice": "Please choose yes or no."},
    )
