"""Account pages: thin views that validate with a form and write through services.

Bad input gets the form back with a plain message and status 400; throttled attempts get 429.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from lookout.access.gate import reveal
from lookout.accounts import invitations, otp, services, throttle
from lookout.accounts.forms import (
    LimitedPasswordChangeForm,
    MarketingForm,
    OtpForm,
    PasswordResetRequestForm,
    SignInForm,
    SignUpForm,
)
from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import User
from lookout.accounts.selectors import marketing_opted_in
from lookout.core.client_ip import client_ip
from lookout.core.purposes import Purpose

WRONG_CREDENTIALS = "That email and password do not match an account. Please try again."


def _me(request: HttpRequest) -> User:
    """The signed-in user itself, not the lazy proxy on `request.user` (reveal needs the model)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _throttled(request: HttpRequest, template: str, context: dict, result: throttle.Throttled):
    context = {**context, "throttled": result.message}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(result.retry_after)
    return response


def _as_throttled(response: HttpResponse, refused: throttle.Throttled | None) -> HttpResponse:
    """A form page refused by the limiter answers 429 with Retry-After, like the others."""
    if refused is not None:
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    return response


def admin_login_view(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in page (lookout/urls.py routes /admin/login/ here). Its form is
    `LimitedAdminAuthenticationForm` (set on the admin site next to that route), so the password
    is checked only within the limits; a refusal answers 429."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    return _as_throttled(response, getattr(form, "throttled", None))


class _AdminPasswordChangeView(auth_views.PasswordChangeView):
    """The admin's own password change, with the old password checked through the limiter (the
    same per-account re-entry budget as the store's password change and the privacy centre)."""

    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):  # type: ignore[no-untyped-def]
        return {**super().get_form_kwargs(), "ip": client_ip(self.request)}

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        return _as_throttled(super().form_invalid(form), getattr(form, "throttled", None))


def _admin_password_change(request: HttpRequest) -> HttpResponseBase:
    request.current_app = admin.site.name
    return _AdminPasswordChangeView.as_view(
        success_url=reverse("admin:password_change_done", current_app=admin.site.name),
        extra_context=admin.site.each_context(request),
    )(request)


# /admin/password_change/ (routed in lookout/urls.py), behind the admin's own staff check.
admin_password_change_view = admin.site.admin_view(_admin_password_change)


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    """One answer for every well-formed sign-up, new email or not: a redirect to "check your
    email", nobody signed in (a session would tell the two apart). Counted per email and per
    client network first, so the form is no fast way to ask about many addresses."""
    if request.user.is_authenticated:
        return redirect("accounts:centre")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return render(request, "accounts/signup.html", {"form": form})
    if not form.is_valid():
        return render(request, "accounts/signup.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    try:
        throttle.count(
            buckets=throttle.signup_buckets(email=email, ip=client_ip(request)), what="sign-ups"
        )
    except throttle.Throttled as refused:
        return _throttled(request, "accounts/signup.html", {"form": form}, refused)
    services.open_account(
        email=email,
        password=form.cleaned_data["password1"],
        marketing_opt_in=form.cleaned_data["marketing_opt_in"],
        site_url=request.build_absolute_uri("/"),
    )
    return redirect("accounts:signup_done")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "next": _next_url(request, "")}
    if request.method != "POST":
        return render(request, "accounts/login.html", context)
    if not form.is_valid():
        return render(request, "accounts/login.html", context, status=400)
    # Per account and per client network (X-Forwarded-For is read only from a trusted proxy),
    # counted before the password is checked: past the limit, the right password does not help.
    email, password = form.cleaned_data["email"], form.cleaned_data["password"]
    try:
        user = throttle.guarded(
            buckets=throttle.login_buckets(email=email, ip=client_ip(request)),
            check=lambda: authenticate(request, username=email, password=password),
        )
    except throttle.Throttled as refused:
        return _throttled(request, "accounts/login.html", context, refused)
    if user is None:
        form.add_error(None, WRONG_CREDENTIALS)
        return render(request, "accounts/login.html", context, status=400)
    login(request, user)  # cycles the session key: no session fixation
    # C8.3: signing in after a new policy version took effect is acceptance by continued use.
    from lookout.policies.services import record_continued_use

    record_continued_use(subject=user.subject)
    return redirect(_next_url(request, reverse("accounts:centre")))


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)  # flushes the session, including the second-factor flag
        messages.info(request, "You are signed out.")
        return redirect("home")
    return render(request, "accounts/logout.html")


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    destination = _next_url(request, reverse("accounts:centre"))
    if not user.role or request.session.get(OTP_SESSION_KEY):
        return redirect(destination)
    enrolling = otp.needs_enrolment(user=user)
    if enrolling:
        otp.start_enrolment(user=user)
    form = OtpForm(request.POST if request.method == "POST" else None)
    if enrolling:  # recovery codes come with enrolment; there are none to offer yet
        form.fields["code"].help_text = ""
    context: dict = {"form": form, "enrolling": enrolling, "next": destination}
    if enrolling:
        context.update(otp.enrolment_details(user=user))
    if request.method != "POST":
        return render(request, "accounts/otp.html", context)
    if not form.is_valid():
        return render(request, "accounts/otp.html", context, status=400)
    code = form.cleaned_data["code"]
    # A recovery code (letters and digits, shown once at enrolment) stands in for the app's
    # code after enrolment; both go through the same limiter budget.
    recovering = not enrolling and otp.looks_like_recovery_code(code)
    try:
        ok = throttle.guarded(
            buckets=throttle.otp_buckets(user_subject=str(user.subject), ip=client_ip(request)),
            check=lambda: (
                otp.confirm_enrolment(user=user, code=code)
                if enrolling
                else otp.use_recovery_code(user=user, code=code)
                if recovering
                else otp.verify_code(user=user, code=code)
            ),
        )
    except throttle.Throttled as refused:
        return _throttled(request, "accounts/otp.html", context, refused)
    if not ok:
        form.add_error("code", "That code is not right, or it has expired. Try the current one.")
        return render(request, "accounts/otp.html", context, status=400)
    request.session.cycle_key()  # a new session id once fully signed in
    request.session[OTP_SESSION_KEY] = True
    if enrolling:
        # Shown on this answer only, never stored in the clear: the person writes them down.
        codes = otp.new_recovery_codes(user=user)
        return render(
            request, "accounts/recovery_codes.html", {"codes": codes, "next": destination}
        )
    if recovering:
        messages.warning(
            request,
            f"You signed in with a recovery code; {otp.unused_recovery_codes(user=user)} left. "
            "If you lost your authenticator, ask an administrator to reset your second factor.",
        )
    return redirect(destination)


@login_required
@require_http_methods(["GET"])
def centre_view(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    own = reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)
    opted_in = marketing_opted_in(user=user)
    return render(
        request,
        "accounts/centre.html",
        {
            "email": own["email"],
            "opted_in": opted_in,
            "marketing_wording": (
                services.MARKETING_CENTRE_OPT_OUT_WORDING
                if opted_in
                else services.MARKETING_CENTRE_OPT_IN_WORDING
            ),
        },
    )


@login_required
@require_POST
def marketing_view(request: HttpRequest) -> HttpResponse:
    """The centre's switch; an opt-out is in force from this request on (C3.7)."""
    form = MarketingForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "core/error.html",
            {
                "title": "Choice not understood",
                "message": "Please use the button in your account to change your choice.",
            },
            status=400,
        )
    opted_in: bool = form.cleaned_data["opted_in"]
    services.record_marketing_choice(
        user=_me(request),
        opted_in=opted_in,
        wording=(
            services.MARKETING_CENTRE_OPT_IN_WORDING
            if opted_in
            else services.MARKETING_CENTRE_OPT_OUT_WORDING
        ),
        source="account_centre",
    )
    messages.success(
        request,
        "You will get our offers and news by email."
        if opted_in
        else "Done: we will send you no more offers or news.",
    )
    return redirect("accounts:centre")


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return render(request, "accounts/password_reset.html", {"form": form})
    if not form.is_valid():
        return render(request, "accounts/password_reset.html", {"form": form}, status=400)
    # Every request counts, found or not: the count must not reveal who has an account.
    try:
        throttle.count(
            buckets=throttle.reset_buckets(email=form.cleaned_data["email"], ip=client_ip(request)),
            what="password reset requests",
        )
    except throttle.Throttled as refused:
        return _throttled(request, "accounts/password_reset.html", {"form": form}, refused)
    services.send_password_reset(
        email=form.cleaned_data["email"], site_url=request.build_absolute_uri("/")
    )
    # The same answer whether or not the account exists.
    return redirect("accounts:password_reset_done")


@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """A new staff member's invitation: choose a password, then (signed in by the link, held by
    the second-factor middleware) enrol the authenticator app and get recovery codes.

    A used, revoked or expired link answers 404 with a page saying to ask for a new one."""
    invitation = invitations.find_open(token=token)
    if invitation is None:
        return render(request, "accounts/invitation.html", {"validlink": False}, status=404)
    form = SetPasswordForm(invitation.user, request.POST if request.method == "POST" else None)
    context = {"validlink": True, "form": form}
    if request.method != "POST":
        return render(request, "accounts/invitation.html", context)
    if not form.is_valid():
        return render(request, "accounts/invitation.html", context, status=400)
    user = invitations.accept(token=token, password=form.cleaned_data["new_password1"])
    if user is None:  # used by a parallel submission
        return render(request, "accounts/invitation.html", {"validlink": False}, status=404)
    login(request, user)  # a new session id; the middleware now asks for the second factor
    return redirect(reverse("accounts:otp") + "?next=" + reverse("staff:index"))


class _InvalidIs400:
    """Django's auth views re-render an invalid form with 200; ours answer 400 like the rest."""

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class PasswordChangeView(_InvalidIs400, auth_views.PasswordChangeView):
    """The old password goes through the attempt limiter (`LimitedPasswordChangeForm`)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")
    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):  # type: ignore[no-untyped-def]
        return {**super().get_form_kwargs(), "ip": client_ip(self.request)}

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_invalid(form)
        return _as_throttled(response, getattr(form, "throttled", None))


class PasswordResetConfirmView(_InvalidIs400, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
