"""The payment processor's webhooks, applied to the payment and then to its order.

A plain view with no cookie and no CSRF token: the processor's HMAC signature over the body
(with a timestamp, checked first, before anything is read) is what authenticates it; anything
else is refused with 401 and changes nothing. It lives in the orders app because the order's
side (paid, payment failed) may not be imported by payments: payments <- orders.

The event is only a prompt to ask: `payments.webhooks.apply` fetches the session's current
state from the processor and writes it through the same code as the return page and
reconciliation; the order then follows its payment as `holds.settle` would have it. So a buyer
who paid and never came back gets a paid order at once, without waiting for reconciliation,
and events repeated or out of order end in the processor's current state (decision 0037).
"""

from __future__ import annotations

import contextlib

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lookout.core.errors import LookoutError
from lookout.orders import guest, services
from lookout.orders.holds import hold_period
from lookout.orders.models import Order, Status
from lookout.orders.payment import FAILED_MESSAGES
from lookout.orders.tasks import email_guest_link
from lookout.payments import webhooks
from lookout.payments.models import Payment
from lookout.payments.services import void_or_refund

PAID = (Payment.Status.AUTHORIZED, Payment.Status.CAPTURED, Payment.Status.REFUNDED)


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = webhooks.verified_event(
            body=request.body, header=webhooks.signature_header(request.headers)
        )
        if webhooks.already_applied(event):
            return JsonResponse({"received": event.id, "repeat": True})
        payment = webhooks.apply(event)
        if payment is not None:
            follow_payment(payment)
        webhooks.mark_applied(event)
    except LookoutError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse({"received": event.id})


def follow_payment(payment: Payment) -> None:
    """The order of a payment the processor decided: paid once the card was authorized,
        failed (its stock back) once declined or failed while it still waited. An order that
        expired meanwhile gets no late payment: the authorization is given back (voided), as the
        return page gives back a late payment. Repeating it changes nothing. A guest whose order
    becomes paid here gets the email with their link (orders.guest.email_link, once per order)."""
    order = Order.objects.filter(pk=payment.order_ref, payment_id=payment.pk).first()
    if order is None:
        return  # a payment the order no longer counts on (an earlier, declined attempt)
    # A concurrent return page or reconciliation may decide the order first: theirs stands.
    with contextlib.suppress(services.InvalidTransition):
        if payment.status in PAID and order.status == Status.PLACED:
            services.mark_paid(order=order, payment_id=payment.pk)
            # The buyer may never come back to the return page that emails a guest their
            # link: send it now (once: whoever sends first, the others send nothing).
            email_guest_link.enqueue(str(order.id), guest.site_url())
        elif payment.status in PAID and order.status == Status.EXPIRED:
            if payment.status == Payment.Status.AUTHORIZED:
                void_or_refund(payment=payment, actor=None)
        elif (
            payment.status in (Payment.Status.DECLINED, Payment.Status.FAILED)
            and order.status == Status.PLACED
            # Past its hold, the order expires instead (holds.settle closed the page for it).
            and order.placed_at > timezone.now() - hold_period()
        ):
            message = FAILED_MESSAGES.get(payment.status, FAILED_MESSAGES["failed"])
            services.mark_payment_failed(order=order, note=message)
