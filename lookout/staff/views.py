"""The back office: one work queue per role, each showing only what that role needs (C4.3).

Personal fields appear only as `reveal` returns them, with the purpose of the role's job, so
every page that shows one writes its audit entry (C4.4): after-sales reads contact fields for
after-sales; no other queue shows a personal field. Warehouse sees items and tracking numbers,
finance sees amounts and payment references, the privacy officer sees pseudonymous ids.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from lookout.access import reveal
from lookout.access.gate import Restricted
from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.returns import selectors as returns
from lookout.returns.models import Reason
from lookout.staff.access import has_role, role_required

QUEUES = {
    Role.WAREHOUSE: "staff:warehouse",
    Role.AFTER_SALES: "staff:after_sales",
    Role.FINANCE: "staff:finance",
    Role.PRIVACY_OFFICER: "staff:privacy",
    Role.CATALOG_MANAGER: "staff:catalog",
    Role.ADMINISTRATOR: "staff:administrator",
}


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Staff land on their role's queue; anyone else is sent to sign in or gets a 404."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    role = getattr(request.user, "role", "")
    if not has_role(request.user, *QUEUES):
        raise Http404("No such page.")
    return redirect(QUEUES[Role(role)])


@role_required(Role.WAREHOUSE)
@require_safe
def warehouse(request: HttpRequest) -> HttpResponse:
    from lookout.orders.selectors import warehouse_queue

    orders = list(warehouse_queue())
    context = {
        "to_ship": len(orders),
        "late": sum(1 for o in orders if o.is_late()),
        "to_receive": list(returns.to_receive()),
    }
    return render(request, "staff/warehouse.html", context)


def _contact(ret: Any, actor: Any) -> dict[str, Any]:
    """Name and email to reach the customer, and their note, read for after-sales. A customer
    who restricted processing (Art. 18, C6.9) is refused by the gate (and the refusal audited):
    their row says so instead of taking the whole queue down."""
    try:
        return _contact_values(ret, actor)
    except Restricted:
        return {"name": RESTRICTED_ROW, "email": ""}


RESTRICTED_ROW = "Processing restricted by the customer (GDPR Art. 18)"


def _contact_values(ret: Any, actor: Any) -> dict[str, Any]:
    order = ret.order
    values = dict(
        reveal(order.delivery, ["name", "email"], purpose=Purpose.AFTER_SALES, actor=actor)
    )
    if not values.get("email") and order.user is not None and order.user.subject == order.subject:
        values["email"] = reveal(order.user, ["email"], purpose=Purpose.AFTER_SALES, actor=actor)[
            "email"
        ]
    if ret.note is not None:
        values["note"] = reveal(ret, ["note"], purpose=Purpose.AFTER_SALES, actor=actor)["note"]
    return values


@role_required(Role.AFTER_SALES)
@require_safe
def after_sales(request: HttpRequest) -> HttpResponse:
    rows = [{"ret": ret, **_contact(ret, request.user)} for ret in returns.after_sales_queue()]
    context = {
        "rows": rows,
        "disputes": list(returns.recent_disputes()),
        "reasons": Reason.choices,
    }
    return render(request, "staff/after_sales.html", context)


@role_required(Role.FINANCE)
@require_safe
def finance(request: HttpRequest) -> HttpResponse:
    from lookout.payments.models import Payment

    due = returns.refunds_due()
    settled = list(returns.recently_settled())
    ids = {r.payment_id for r in [*due, *settled]}
    payments = Payment.objects.filter(pk__in=ids).only(
        "id", "processor_reference", "captured_amount", "refunded_amount", "status"
    )
    context = {
        "due": due,
        "overdue": sum(1 for r in due if r.overdue),
        "settled": settled,
        "payments": {p.pk: p for p in payments},
    }
    return render(request, "staff/finance.html", context)


@role_required(Role.PRIVACY_OFFICER)
@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    from lookout.sharing.redaction import overdue as overdue_redactions

    try:
        queue_url = reverse("privacy:queue")
    except NoReverseMatch:
        queue_url = ""
    # Partners that have not confirmed an erased person's redaction by its due date (C6.7).
    late = overdue_redactions().count()
    return render(request, "staff/privacy.html", {"queue_url": queue_url, "redactions_late": late})


@role_required(Role.CATALOG_MANAGER)
@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    from lookout.catalog.models import Product

    # A product with variants is stocked through them (its own stock adds theirs up).
    low = Product.objects.filter(stock__lte=5).exclude(structure="parent")
    low = low.order_by("stock", "name")[:50]
    return render(request, "staff/catalog.html", {"low_stock": low})
