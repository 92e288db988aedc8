"""Back-office actions: each a POST that calls a service with the acting staff member.

A refused action (wrong state, bad input, a partner without agreement) answers with its
4xx status and a sentence saying why, and changes nothing; a done action redirects back to
the role's queue with a confirmation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lookout.access.roles import Role
from lookout.core.errors import LookoutError
from lookout.returns import services
from lookout.returns.models import Refund, ReturnRequest
from lookout.staff.access import role_required


def _run(request: HttpRequest, back: str, work: Callable[[], str]) -> HttpResponse:
    try:
        done = work()
    except LookoutError as error:
        context = {"message": error.message, "back": back}
        return render(request, "staff/refused.html", context, status=error.status_code)
    messages.success(request, done)
    return redirect(back)


def _return(return_id: uuid.UUID) -> ReturnRequest:
    return get_object_or_404(ReturnRequest.objects.select_related("order"), pk=return_id)


@role_required(Role.WAREHOUSE)
@require_POST
def receive(request: HttpRequest, return_id: uuid.UUID) -> HttpResponse:
    ret = _return(return_id)

    def work() -> str:
        services.receive_return(ret=ret, actor=request.user)  # type: ignore[arg-type]
        return f"Return {ret.number} received; its refund is due in 10 business days."

    return _run(request, "staff:warehouse", work)


@role_required(Role.AFTER_SALES)
@require_POST
def issue_label(request: HttpRequest, return_id: uuid.UUID) -> HttpResponse:
    ret = _return(return_id)

    def work() -> str:
        done = services.issue_label(ret=ret, actor=request.user)  # type: ignore[arg-type]
        return f"Return label for {ret.number} issued: tracking number {done.tracking_number}."

    return _run(request, "staff:after_sales", work)


@role_required(Role.AFTER_SALES)
@require_POST
def accept(request: HttpRequest, return_id: uuid.UUID) -> HttpResponse:
    ret = _return(return_id)

    def work() -> str:
        services.accept_return(ret=ret, actor=request.user)  # type: ignore[arg-type]
        return f"Return {ret.number} accepted; finance will pay the refund."

    return _run(request, "staff:after_sales", work)


@role_required(Role.AFTER_SALES)
@require_POST
def reject(request: HttpRequest, return_id: uuid.UUID) -> HttpResponse:
    ret = _return(return_id)
    reason = str(request.POST.get("reason", ""))[:1000]

    def work() -> str:
        services.reject_return(ret=ret, reason=reason, actor=request.user)  # type: ignore[arg-type]
        return f"Return {ret.number} rejected; the customer was told why."

    return _run(request, "staff:after_sales", work)


@role_required(Role.AFTER_SALES)
@require_POST
def open_dispute(request: HttpRequest) -> HttpResponse:
    from lookout.orders.models import Order
    from lookout.returns.disputes import open_dispute as open_case

    number = str(request.POST.get("order", "")).strip().upper()[:20]
    reason = str(request.POST.get("reason", ""))[:40]

    def work() -> str:
        order = Order.objects.select_related("delivery", "user").filter(number=number).first()
        if order is None:
            raise LookoutError(f"There is no order numbered {number or '(empty)'}.")
        opened = open_case(order=order, reason=reason, actor=request.user)  # type: ignore[arg-type]
        case = opened.dispute
        return f"Dispute {case.case_reference} opened with {case.partner.name}."

    return _run(request, "staff:after_sales", work)


@role_required(*Role)
@require_POST
def cancel_order(request: HttpRequest) -> HttpResponse:
    """After-sales cancels an order until it ships, with a reason (orders.services).

    Open to every staff role so that staff of another role get a clear 403 ("only
    after-sales") instead of a page that seems not to exist; customers and visitors get the
    back office's usual 404 or sign-in. The role is checked before the order is looked up, so
    nobody else learns which order numbers exist."""
    from lookout.core.errors import Forbidden
    from lookout.orders.cancellation import REASON_MAX, cancel_by_staff
    from lookout.orders.models import Order

    after_sales = getattr(request.user, "role", "") == Role.AFTER_SALES
    number = str(request.POST.get("order", "")).strip().upper()[:20]
    # One character over the limit is kept, so the service can say the reason is too long.
    reason = str(request.POST.get("reason", ""))[: REASON_MAX + 1]

    def work() -> str:
        if not after_sales:
            raise Forbidden("Only after-sales staff may cancel an order.")
        order = Order.objects.filter(number=number).first()
        if order is None:
            raise LookoutError(f"There is no order numbered {number or '(empty)'}.")
        cancel_by_staff(order=order, actor=request.user, reason=reason)  # type: ignore[arg-type]
        order.refresh_from_db()
        last = order.events.filter(to_status="cancelled").last()
        return f"Order {order.number} cancelled. {last.note if last else ''}".strip()

    return _run(request, "staff:after_sales" if after_sales else "staff:index", work)


@role_required(Role.FINANCE)
@require_POST
def settle(request: HttpRequest, refund_id: uuid.UUID) -> HttpResponse:
    from lookout.core.money import format_usd
    from lookout.returns.refunds import settle_refund

    refund: Any = get_object_or_404(Refund.objects.select_related("ret"), pk=refund_id)

    def work() -> str:
        settle_refund(refund=refund, actor=request.user)  # type: ignore[arg-type]
        return f"Refund of {format_usd(refund.amount)} for return {refund.ret.number} settled."

    return _run(request, "staff:finance", work)
