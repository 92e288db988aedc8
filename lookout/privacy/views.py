"""The privacy centre (signed in), the guest request form, request pages and downloads (C6).

Thin views: forms validate, services decide. Bad input gets the page back with a plain message
and a 4xx status. A guest's answers never depend on whether the email or order exists (C6.1).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lookout.accounts import throttle
from lookout.accounts.models import User
from lookout.checkout.forms import DeliveryForm
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError, NotFound
from lookout.privacy import access_file, correction, restriction, selectors, services, verification
from lookout.privacy.forms import (
    AccountRequestForm,
    EmailChangeForm,
    GuestCodeForm,
    GuestStartForm,
    RestrictionForm,
)
from lookout.privacy.models import Kind, Status
from lookout.sharing.redaction import certificate_reference
from lookout.vault.blind_index import normalise_email

GUEST_SENT = (
    "If that order number and email match an order, we have sent a 6-digit code to that email. "
    "It works for 15 minutes."
)


def _me(request: HttpRequest) -> User | None:
    user = get_user(request)
    return user if isinstance(user, User) and user.is_authenticated else None


def _guest_subject(request: HttpRequest) -> uuid.UUID | None:
    data = request.session.get(verification.GUEST_SESSION_KEY) or {}
    if not data or time.time() - float(data.get("at", 0)) > verification.GUEST_SESSION_MINUTES * 60:
        return None
    return uuid.UUID(data["subject"])


def _person(request: HttpRequest) -> tuple[uuid.UUID | None, User | None]:
    """Whose requests this visitor may see: the signed-in person's, or a verified guest's."""
    user = _me(request)
    if user is not None:
        return user.subject, user
    return _guest_subject(request), None


def _centre(request: HttpRequest, user: User, status: int = 200, **extra: Any) -> HttpResponse:
    from lookout.checkout.services import saved_addresses

    context = {
        "requests": selectors.requests_for(subject=user.subject),
        "request_form": extra.pop("request_form", None) or AccountRequestForm(),
        "email_form": extra.pop("email_form", None) or EmailChangeForm(),
        "restriction_form": extra.pop("restriction_form", None) or RestrictionForm(),
        "restriction": restriction.latest_for(subject=user.subject),
        "addresses": saved_addresses(user=user),
        **extra,
    }
    return render(request, "privacy/centre.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def centre(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    assert user is not None
    return _centre(request, user)


@login_required
@require_POST
def create_request(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    assert user is not None
    form = AccountRequestForm(request.POST)
    if not form.is_valid():
        return _centre(request, user, status=400, request_form=form)
    try:
        made = services.request_as_user(
            user=user,
            password=form.cleaned_data["password"],
            kind=form.cleaned_data["kind"],
            details=form.cleaned_data["details"],
            ip=client_ip(request),
        )
    except LookoutError as error:
        form.add_error(None, error.message)
        return _centre(request, user, status=error.status_code, request_form=form)
    return redirect("privacy:request", made.id)


@login_required
@require_POST
def restrict(request: HttpRequest) -> HttpResponse:
    """The person restricts the processing of their data (GDPR Art. 18, C6.9)."""
    user = _me(request)
    assert user is not None
    form = RestrictionForm(request.POST)
    if not form.is_valid():
        return _centre(request, user, status=400, restriction_form=form)
    try:
        restriction.request_restriction(
            user=user,
            password=form.cleaned_data["password"],
            ground=form.cleaned_data["ground"],
            ip=client_ip(request),
        )
    except LookoutError as error:
        form.add_error(None, error.message)
        return _centre(request, user, status=error.status_code, restriction_form=form)
    return _centre(
        request,
        user,
        notice="The processing of your data is restricted from now on. We have confirmed it "
        "in your inbox.",
    )


@login_required
@require_POST
def change_email(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    assert user is not None
    form = EmailChangeForm(request.POST)
    if not form.is_valid():
        return _centre(request, user, status=400, email_form=form)
    try:
        verification.reauthenticate(
            user=user, password=form.cleaned_data["password"], ip=client_ip(request)
        )
        correction.change_email(user=user, new_email=form.cleaned_data["email"])
    except LookoutError as error:
        form.add_error(None, error.message)
        return _centre(request, user, status=error.status_code, email_form=form)
    return _centre(request, user, notice="Your email is corrected. Sign in with it from now on.")


@login_required
@require_http_methods(["GET", "POST"])
def edit_address(request: HttpRequest, address_id: uuid.UUID) -> HttpResponse:
    from lookout.checkout.services import saved_addresses

    user = _me(request)
    assert user is not None
    current = next((a for a in saved_addresses(user=user) if a.id == address_id), None)
    if current is None:
        raise Http404("That saved address does not exist.")
    initial = {"name": current.name, "phone": current.phone, **current.address}
    data = request.POST if request.method == "POST" else None
    form = DeliveryForm(data, initial=initial, country=current.country, guest=False)
    form.fields.pop("save_address", None)
    context: dict[str, Any] = {"form": form, "address": current}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "privacy/address.html", context, status=400)
        corrected = correction.correct_saved_address(
            user=user,
            address_id=address_id,
            name=form.cleaned_data["name"],
            address=form.address(),
            country=current.country,
            phone=form.cleaned_data.get("phone") or None,
        )
        context["done"] = True
        context["orders"] = corrected
    return render(request, "privacy/address.html", context)


# --- guests --------------------------------------------------------------------------------


def _guest_buckets(*, email: str, order_number: str, ip: str) -> list[throttle.Bucket]:
    """Challenges per (email, order) and per client IP (`client_ip`: REMOTE_ADDR, or the
    X-Forwarded-For entry a trusted proxy appended; never what the client wrote in that header;
    IPv6 counted per /64 by `throttle_key_for_ip`, as for sign-in).
    Each challenge emails a code and allows a few guesses, so without a limit the code space
    could be worked through one fresh challenge at a time. Keys are keyed digests, so the cache
    never holds the email or IP."""
    pair = f"{normalise_email(email)}|{(order_number or '').strip().upper()}"
    return [
        throttle.Bucket("throttle-guest-order", pair, settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        throttle.Bucket(
            "throttle-guest-ip",
            throttle.throttle_key_for_ip(ip),
            settings.LOOKOUT_LOGIN_LIMIT_PER_IP,
        ),
    ]


@require_http_methods(["GET", "POST"])
def guest_start(request: HttpRequest) -> HttpResponse:
    form = GuestStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "privacy/guest_start.html", {"form": form}, status=400)
        buckets = _guest_buckets(
            email=form.cleaned_data["email"],
            order_number=form.cleaned_data["order_number"],
            ip=client_ip(request),
        )
        # Every start counts, matched or not: the 429 must not tell whether the order exists.
        try:
            throttle.count(buckets=buckets, what="code requests")
        except throttle.Throttled as refused:
            form.add_error(None, refused.message)
            response = render(request, "privacy/guest_start.html", {"form": form}, status=429)
            response["Retry-After"] = str(refused.retry_after)
            return response
        challenge = verification.start_guest_challenge(
            email=form.cleaned_data["email"],
            order_number=form.cleaned_data["order_number"],
            kind=form.cleaned_data["kind"],
        )
        code_form = GuestCodeForm(initial={"challenge": challenge.id})
        return render(
            request,
            "privacy/guest_code.html",
            {"form": code_form, "sent": GUEST_SENT, "kind": form.cleaned_data["kind"]},
        )
    return render(request, "privacy/guest_start.html", {"form": form})


@require_POST
def guest_code(request: HttpRequest) -> HttpResponse:
    form = GuestCodeForm(request.POST)
    if not form.is_valid():
        return render(request, "privacy/guest_code.html", {"form": form}, status=400)
    kind = verification.challenge_kind(challenge_id=form.cleaned_data["challenge"])
    if kind == Kind.CORRECTION and not form.cleaned_data["details"].strip():
        form.add_error("details", "Tell us what is wrong and what it should say.")
        return render(request, "privacy/guest_code.html", {"form": form, "kind": kind}, status=400)
    challenge = form.cleaned_data["challenge"]
    try:
        # Each guess through the attempt limiter, per client network (and per challenge below).
        identity = throttle.guarded(
            buckets=throttle.guest_code_buckets(ip=client_ip(request)),
            check=lambda: verification.verify_guest_code(
                challenge_id=challenge, code=form.cleaned_data["code"]
            ),
            what="code attempts",
        )
        made = services.request_as_guest(identity=identity, details=form.cleaned_data["details"])
    except LookoutError as error:
        form.add_error(None, error.message)
        response = render(request, "privacy/guest_code.html", {"form": form}, status=400)
        if isinstance(error, throttle.Throttled):
            response.status_code = 429
            response["Retry-After"] = str(error.retry_after)
        return response
    request.session.cycle_key()  # a new session id once verified
    request.session[verification.GUEST_SESSION_KEY] = {
        "subject": str(identity.subject),
        "order": str(identity.order_ref),
        "at": time.time(),
    }
    return redirect("privacy:request", made.id)


# --- a request, and its file ---------------------------------------------------------------


@require_http_methods(["GET"])
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    subject, actor = _person(request)
    made = selectors.request_of(subject=subject, request_id=request_id)
    if made is None:
        raise Http404("No such request.")
    context: dict[str, Any] = {"req": made}
    if made.kind == Kind.DELETION:
        # Given now, while the person is still known: after the erasure nothing links them to
        # it, and this reference is how they fetch their deletion certificate (issue 26).
        context["certificate_reference"] = certificate_reference(made.id)
    if made.kind == Kind.ACCESS and made.status == Status.COMPLETED and made.access_file:
        context["document"] = access_file.open_access_file(request=made, actor=actor)
        context["download_url"] = access_file.download_path(request=made)
        context["link_hours"] = access_file.link_hours()
    return render(request, "privacy/request.html", context)


@require_http_methods(["GET"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    subject, actor = _person(request)
    try:
        made = access_file.request_for_token(token=token, subject=subject)
        document = access_file.open_access_file(request=made, actor=actor)
    except NotFound as error:
        return render(request, "privacy/problem.html", {"message": error.message}, status=404)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="lookout-data-{made.id}.json"'
    response["Cache-Control"] = "no-store"
    return response
