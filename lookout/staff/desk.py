"""The staff order desk (issue 20): find an order by number or by the customer's email, read
its whole history, act on it, and see the late and stuck orders one's role must act on.

Open to every staff role so that staff of a role without the desk get a clear 403 instead of
a page that seems not to exist; customers and visitors get the back office's usual 404 or
sign-in. The role is checked before any order is looked up, so nobody else learns which order
numbers exist. Who may do what, and why, is in `desk_selectors` and `orders.desk`.

A customer's email is never put in a URL (it would reach access logs and browser history): the
email search is a POST and its results page is not cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lookout.access.roles import Role
from lookout.audit.services import record
from lookout.core.errors import Forbidden, LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.orders import desk as desk_services
from lookout.orders import desk_queries
from lookout.orders.models import Order
from lookout.staff import desk_selectors as shown
from lookout.staff.access import role_required

EMAIL_MAX = 254
NO_DESK = (
    "The order desk is for after-sales, warehouse, finance and the privacy officer; "
    "your role does not use it."
)


def _refused(request: HttpRequest, error: LookoutError, back: str) -> HttpResponse:
    context = {"message": error.message, "back_url": back}
    return render(request, "staff/desk/refused.html", context, status=error.status_code)


def _desk_role(request: HttpRequest) -> str:
    role = shown.role_of(request.user)
    if role not in shown.DESK_ROLES:
        raise Forbidden(NO_DESK)
    return role


def _lists_for(role: str) -> list[dict[str, Any]]:
    """The late and stuck orders this role must act on."""
    if role == Role.FINANCE:
        minutes = int(desk_queries.hold_period().total_seconds() // 60)
        return [
            {
                "id": "unpaid-past-hold",
                "title": "Unpaid past the hold",
                "why": f"Still waiting for payment more than {minutes} minutes after being "
                "placed: the processor could not be asked. Check the payment with the "
                "processor.",
                "orders": desk_queries.unpaid_past_hold(),
                "when": "placed_at",
            }
        ]
    if role == Role.WAREHOUSE:
        return [
            {
                "id": "not-shipped",
                "title": "Not shipped by the ship-by date",
                "why": "Paid, not yet handed to the carrier, and past the date we promised.",
                "orders": desk_queries.not_shipped_by_ship_by(),
                "when": "ship_by",
            }
        ]
    if role == Role.AFTER_SALES:
        days = desk_queries.delivery_overdue_days()
        return [
            {
                "id": "not-delivered",
                "title": "Shipped but never delivered",
                "why": f"No delivery scan more than {days} business days after shipment. Ask "
                "the carrier, then the customer.",
                "orders": desk_queries.shipped_not_delivered(),
                "when": "shipped_at",
            }
        ]
    return []


def _home(request: HttpRequest, role: str, **extra: Any) -> dict[str, Any]:
    return {
        "lists": _lists_for(role),
        "email_purposes": [(p.value, p.label) for p in shown.EMAIL_SEARCH_PURPOSES.get(role, ())],
        "number": "",
        **extra,
    }


@role_required(*Role)
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The search forms and this role's late and stuck orders; `?number=` opens an order."""
    try:
        role = _desk_role(request)
    except LookoutError as error:
        return _refused(request, error, reverse("staff:index"))
    if "number" not in request.GET:
        return render(request, "staff/desk/home.html", _home(request, role))
    typed = str(request.GET.get("number", ""))[:40]
    number = desk_queries.normalise_number(typed)
    if not number:
        problem, status = "Type an order number, like LK-ABCD2345.", 400
    elif not desk_queries.NUMBER_SHAPE.fullmatch(number):
        problem, status = (
            "An order number is LK- followed by 8 letters and digits, like LK-ABCD2345.",
            400,
        )
    else:
        order = desk_queries.order_numbered(number)
        if order is not None:
            return redirect("staff:desk_order", number=order.number)
        problem, status = f"There is no order numbered {number}.", 404
    context = _home(request, role, number_error=problem, number=number)
    return render(request, "staff/desk/home.html", context, status=status)


@role_required(*Role)
@require_POST
@never_cache
def email_search(request: HttpRequest) -> HttpResponse:
    """Orders of the customer with exactly this email, found through the blind index. Every
    search is audited with its purpose: one entry per customer found, naming their orders, or
    one entry saying nothing was found; never the email itself."""
    try:
        role = _desk_role(request)
    except LookoutError as error:
        return _refused(request, error, reverse("staff:index"))
    allowed = shown.EMAIL_SEARCH_PURPOSES.get(role, ())
    if not allowed:
        return _refused(
            request,
            Forbidden(
                "Your role finds orders by number only: searching by a customer's email is "
                "for after-sales and the privacy officer."
            ),
            reverse("staff:desk"),
        )
    email = str(request.POST.get("email", "")).strip()
    wanted = str(request.POST.get("purpose", "") or allowed[0].value)
    errors = []
    if len(email) > EMAIL_MAX:
        errors.append(f"An email address has at most {EMAIL_MAX} characters.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append("Type the customer's whole email address, like name@example.com.")
    purpose = next((p for p in allowed if p.value == wanted), None)
    if purpose is None:
        errors.append("Choose why you are searching: " + ", ".join(p.label for p in allowed) + ".")
    if errors:
        context = _home(request, role, email_errors=errors, purpose=wanted)
        return render(request, "staff/desk/home.html", context, status=400)
    assert purpose is not None
    found = _audited_email_search(request, email=email, purpose=purpose)
    context = _home(
        request,
        role,
        results=found,
        searched=True,
        purpose=purpose.value,
        limit=desk_queries.SEARCH_LIMIT,
    )
    return render(request, "staff/desk/home.html", context)


def _audited_email_search(request: HttpRequest, *, email: str, purpose: Purpose) -> list[Order]:
    fields = ["orders.Delivery.email_index", "accounts.User.email_index"]
    with transaction.atomic():
        found = desk_queries.orders_for_email(email)
        by_subject: dict[Any, list[Order]] = {}
        for order in found:
            by_subject.setdefault(order.subject, []).append(order)
        for subject, orders in by_subject.items():
            record(
                actor=request.user,
                action="desk.email_search",
                subject=subject,
                fields=fields,
                purpose=str(purpose),
                target=orders[0] if len(orders) == 1 else "",
                targets=[o.pk for o in orders],
                detail={"found": len(orders)},
            )
        if not by_subject:
            record(
                actor=request.user,
                action="desk.email_search",
                fields=fields,
                purpose=str(purpose),
                detail={"found": 0},
            )
    return found


def _order(number: str) -> Order:
    order = (
        Order.objects.select_related("delivery", "user")
        .prefetch_related("lines", "events", "notes")
        .filter(number=desk_queries.normalise_number(number))
        .first()
    )
    if order is None:
        raise NotFound(f"There is no order numbered {desk_queries.normalise_number(number)}.")
    return order


@role_required(*Role)
@require_safe
@never_cache
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    try:
        role = _desk_role(request)
        order = _order(number)
    except LookoutError as error:
        return _refused(request, error, reverse("staff:desk"))
    from lookout.orders.cancellation import STAFF_MAY_CANCEL
    from lookout.orders.models import Status

    user: Any = request.user
    context = {
        "order": order,
        "role": role,
        "purpose": shown.PAGE_PURPOSE[role],
        "fields": shown.personal_fields(order=order, actor=user),
        "timeline": shown.timeline(order=order, actor=user),
        "may_cancel": role == Role.AFTER_SALES and order.status in STAFF_MAY_CANCEL,
        "may_resend": desk_services.may_resend_tracking(user)
        and order.status in (Status.SHIPPED, Status.DELIVERED),
        "may_note": desk_services.may_note(user),
        "note_max": desk_services.NOTE_MAX,
        "late": order.is_late(),
    }
    return render(request, "staff/desk/order.html", context)


def _act(request: HttpRequest, number: str, work: Any) -> HttpResponse:
    """Run one desk action: a refusal answers with its status and why, changing nothing; a
    done action goes back to the order page with a confirmation."""
    try:
        _desk_role(request)
        order = _order(number)
    except LookoutError as error:
        return _refused(request, error, reverse("staff:desk"))
    back = reverse("staff:desk_order", kwargs={"number": order.number})
    try:
        done = work(order)
    except LookoutError as error:
        return _refused(request, error, back)
    messages.success(request, done)
    return redirect(back)


@role_required(*Role)
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    """After-sales cancels the order until it ships, with a reason (orders.services)."""
    from lookout.orders.cancellation import REASON_MAX, cancel_by_staff

    reason = str(request.POST.get("reason", ""))[: REASON_MAX + 1]

    def work(order: Order) -> str:
        cancel_by_staff(order=order, actor=request.user, reason=reason)  # type: ignore[arg-type]
        return f"Order {order.number} cancelled; the customer was told."

    return _act(request, number, work)


@role_required(*Role)
@require_POST
def resend_tracking(request: HttpRequest, number: str) -> HttpResponse:
    from lookout.orders.guest import email_link

    site = request.build_absolute_uri("/")

    def work(order: Order) -> str:
        emailed = desk_services.resend_tracking(
            order=order,
            actor=request.user,  # type: ignore[arg-type]
            email_guest=lambda o: email_link(order=o, base_url=site),
        )
        where = "inbox, and their order link by email" if emailed else "inbox"
        return f"Tracking details of order {order.number} sent again to the customer's {where}."

    return _act(request, number, work)


@role_required(*Role)
@require_POST
def add_note(request: HttpRequest, number: str) -> HttpResponse:
    body = str(request.POST.get("note", ""))[: desk_services.NOTE_MAX + 1]

    def work(order: Order) -> str:
        desk_services.add_note(order=order, actor=request.user, body=body)  # type: ignore[arg-type]
        return f"Note added to order {order.number}."

    return _act(request, number, work)
