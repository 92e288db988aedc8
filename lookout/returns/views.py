"""The customer's return pages: signed in (their own order) or a guest (signed order link).

The guest pages check the signed link and the order number on every request, like the guest
order page; their POST is exempt from the cookie CSRF check because the link and the number
are the secrets a forged request would lack, and a guest may have cookies blocked.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from lookout.access import reveal
from lookout.core.errors import LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.orders import guest as guest_links
from lookout.orders import selectors as order_selectors
from lookout.orders.models import Order
from lookout.returns import selectors, services
from lookout.returns.forms import ReturnForm
from lookout.returns.models import ReturnRequest
from lookout.returns.window import closes_on


def _window(order: Order) -> Any:
    from django.utils import timezone

    if order.delivered_at is None:
        return None
    return closes_on(timezone.localdate(order.delivered_at))


def _with_notes(rets: Any, *, purpose: Purpose, actor: Any) -> list[dict[str, Any]]:
    rows = []
    for ret in rets:
        note = None
        if ret.note is not None:
            note = reveal(ret, ["note"], purpose=purpose, actor=actor)["note"]
        rows.append({"ret": ret, "note": note, "refund": getattr(ret, "refund", None)})
    return rows


def _submit(
    request: HttpRequest, order: Order, *, actor: Any, guest: bool
) -> tuple[ReturnForm, ReturnRequest | None, str, int]:
    """Validate and request; (form, the new return or None, error message, status code)."""
    lines = selectors.returnable_lines(order=order)
    form = ReturnForm(request.POST, lines=lines)
    if not form.is_valid():
        return form, None, "", 400
    try:
        ret = services.request_return(
            order=order,
            quantities=form.quantities(),
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=actor,
            guest=guest,
        )
    except LookoutError as error:
        return form, None, error.message, error.status_code
    return form, ret, "", 200


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, number: str) -> HttpResponse:
    """Ask for a return of the signed-in customer's own order (C1.7)."""
    order = order_selectors.order_of(user=request.user, number=number)  # type: ignore[arg-type]
    if order is None:
        raise Http404("No such order.")
    error, status = "", 200
    if request.method == "POST":
        form, ret, error, status = _submit(request, order, actor=request.user, guest=False)
        if ret is not None:
            return redirect("returns:detail", number=ret.number)
    else:
        form = ReturnForm(lines=selectors.returnable_lines(order=order))
    context = {
        "order": order,
        "form": form,
        "error": error,
        "closes_on": _window(order),
        "returns": _with_notes(
            selectors.returns_of_order(order=order),
            purpose=Purpose.SELF_SERVICE,
            actor=request.user,
        ),
    }
    return render(request, "returns/request.html", context, status=status)


@login_required
@require_safe
def detail(request: HttpRequest, number: str) -> HttpResponse:
    ret = selectors.return_of(user=request.user, number=number)  # type: ignore[arg-type]
    if ret is None:
        raise Http404("No such return.")
    rows = _with_notes([ret], purpose=Purpose.SELF_SERVICE, actor=request.user)
    return render(request, "returns/detail.html", rows[0])


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def guest(request: HttpRequest, token: str) -> HttpResponse:
    """A guest's returns: the signed order link plus the order number, then the form."""
    try:
        guest_links.order_for_token(token=token)
    except NotFound as error:
        return render(request, "returns/guest.html", {"error": error.message}, status=404)
    if request.method != "POST":
        return render(request, "returns/guest.html", {"token": token})
    number = str(request.POST.get("number", ""))[:20]
    try:
        order = guest_links.open_order(token=token, number=number)
    except NotFound as error:
        context = {"token": token, "error": error.message}
        return render(request, "returns/guest.html", context, status=404)
    message, status, created = "", 200, None
    if request.POST.get("action") == "request":
        form, created, message, status = _submit(request, order, actor=None, guest=True)
        if created is not None:
            form = ReturnForm(lines=selectors.returnable_lines(order=order))
    else:
        form = ReturnForm(lines=selectors.returnable_lines(order=order))
    page: dict[str, Any] = {
        "token": token,
        "number": order.number,
        "order": order,
        "form": form,
        "error": message,
        "created": created,
        "closes_on": _window(order),
        "returns": _with_notes(
            selectors.returns_of_order(order=order), purpose=Purpose.ACCOUNT_NOTICE, actor=None
        ),
        "guest": True,
    }
    return render(request, "returns/request.html", page, status=status)
