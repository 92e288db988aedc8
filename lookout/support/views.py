"""The customer's side of customer service: the help and contact page, conversations (signed
in, or a guest with the order link and number) and the email-notice choice.

Words are read through the gate: the person's own for self-service, a verified guest's by the
store for them (account notice), so each reading is on the audit log. Someone else's
conversation answers exactly like a missing one (404), and every refusal is a 4xx with a
sentence saying why.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from lookout.access import reveal_many
from lookout.accounts.throttle import Throttled, guarded
from lookout.catalog.models import Product
from lookout.core.client_ip import client_ip
from lookout.core.errors import LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.orders import guest as guest_links
from lookout.orders.models import Order
from lookout.support import limits, selectors, services
from lookout.support.models import Conversation, NoticeChoice, Topic


def _operator() -> dict[str, str]:
    return {
        "name": str(getattr(settings, "LOOKOUT_OPERATOR_NAME", "")),
        "address": str(getattr(settings, "LOOKOUT_OPERATOR_ADDRESS", "")),
        "contact": str(getattr(settings, "LOOKOUT_OPERATOR_CONTACT", "")),
    }


@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    """Who runs the store, where, and how to reach it: the routes the policies promise."""
    return render(
        request,
        "support/help.html",
        {"operator": _operator(), "reply_days": services.reply_days()},
    )


def _staff_note(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "Staff accounts answer conversations in the back office",
            "message": "Customer conversations are opened by customers.",
        },
        status=404,
    )


def _posts(conversation: Conversation, *, actor: Any, purpose: str) -> list[dict[str, Any]]:
    posts = list(selectors.posts_for_customer(conversation))
    if not posts:
        return []
    words = reveal_many(posts, ["body"], purpose=purpose, actor=actor)
    return [{"post": p, "body": w["body"]} for p, w in zip(posts, words, strict=True)]


@login_required
@require_safe
def my_conversations(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "role", ""):
        return _staff_note(request)
    rows = list(selectors.conversations_of(subject=user.subject)[:100])  # type: ignore[union-attr]
    return render(request, "support/list.html", {"conversations": rows})


def _product(sku: Any) -> Product | None:
    """A product of the catalog, by its code; anything else is no product."""
    code = str(sku or "")[:32].strip()
    return Product.objects.filter(sku=code).first() if code else None


def _new_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    orders = Order.objects.filter(subject=user.subject).order_by("-placed_at")[:50]  # type: ignore[union-attr]
    context = {"orders": orders, "topics": Topic.choices, **extra}
    return render(request, "support/new.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_conversation(request: HttpRequest) -> HttpResponse:
    """Open a conversation about one of one's orders, or a general one (CSRF-checked)."""
    user = request.user
    if getattr(user, "role", ""):
        return _staff_note(request)
    if request.method != "POST":
        number = str(request.GET.get("order", ""))[:20].strip().upper()
        product = _product(request.GET.get("product"))
        topic = "order" if number else "product" if product else "general"
        return _new_page(request, chosen=number, topic=topic, product=product)
    topic = str(request.POST.get("topic", ""))[:16]
    number = str(request.POST.get("order", ""))[:20].strip().upper()
    body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
    order = None
    product = _product(request.POST.get("product")) if topic == Topic.PRODUCT else None
    if topic == Topic.PRODUCT and product is None:
        return _new_page(
            request, status=400, error="We have no such product.", topic=topic, body=body
        )
    if topic == Topic.ORDER:
        order = Order.objects.filter(subject=user.subject, number=number).first()  # type: ignore[union-attr]
        if order is None:
            return _new_page(
                request,
                status=400,
                error="Please choose one of your orders.",
                topic=topic,
                body=body,
            )
    try:
        services.clean_body(body)
        limits.count_opening(ip=client_ip(request))
        conversation = services.open_conversation(
            subject=user.subject,  # type: ignore[union-attr]
            topic=topic,
            body=body,
            order=order,
            product=product,
            publish_ok=request.POST.get("publish") == "on",
        )
    except LookoutError as error:
        return _new_page(
            request,
            status=error.status_code,
            error=error.message,
            topic=topic,
            chosen=number,
            product=product,
            body=body,
        )
    return redirect("support:conversation", conversation_id=conversation.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conversation(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """One's own conversation; a POST writes in it, or closes or reopens it."""
    user = request.user
    if getattr(user, "role", ""):
        return _staff_note(request)
    found = selectors.conversation_of(subject=user.subject, conversation_id=conversation_id)  # type: ignore[union-attr]
    if found is None:
        raise Http404("No such conversation.")
    error, status, body = "", 200, ""
    if request.method == "POST":
        action = str(request.POST.get("action", "write"))[:10]
        try:
            if action == "close":
                services.close(conversation=found)
            elif action == "reopen":
                services.reopen(conversation=found)
            elif action == "write":
                body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
                services.customer_writes(conversation=found, body=body)
                body = ""
            else:
                raise LookoutError("Unknown action.")
        except LookoutError as refusal:
            error, status = refusal.message, refusal.status_code
        else:
            return redirect("support:conversation", conversation_id=found.pk)
    posts = _posts(found, actor=user, purpose=Purpose.SELF_SERVICE)
    links = [
        {"link": link, "href": reverse("privacy:request", args=[link.request_id])}
        for link in selectors.request_links(found)
    ]
    return render(
        request,
        "support/conversation.html",
        {
            "conversation": found,
            "posts": posts,
            "error": error,
            "body": body,
            "request_links": links,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notices(request: HttpRequest) -> HttpResponse:
    """The account centre's choice: an email when a new message waits (off until chosen)."""
    user = request.user
    if getattr(user, "role", ""):
        return _staff_note(request)
    saved = False
    if request.method == "POST":
        services.set_notice_choice(
            subject=user.subject,  # type: ignore[union-attr]
            email_on_message=request.POST.get("email_on_message") == "on",
        )
        saved = True
    choice = NoticeChoice.objects.filter(subject=user.subject).first()  # type: ignore[union-attr]
    return render(
        request,
        "support/notices.html",
        {"on": bool(choice and choice.email_on_message), "saved": saved},
    )


# --- guests: the order link and the order number -----------------------------------------------


def _guest_page(
    request: HttpRequest, token: str, order: Order | None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    rows = []
    if order is not None:
        for found in selectors.guest_conversations(order=order).filter(subject=order.subject):
            rows.append(
                {
                    "conversation": found,
                    "posts": _posts(found, actor=None, purpose=Purpose.ACCOUNT_NOTICE),
                }
            )
    context = {"token": token, "order": order, "rows": rows, **extra}
    return render(request, "support/guest.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def guest(request: HttpRequest, token: str) -> HttpResponse:
    """A guest's conversations about their order: the signed link and the order number, both
    needed for anything, the number typed (or carried in the form) with every POST.

    Exempt from the cookie CSRF check like the guest order page (a guest may have no cookies):
    the link and the number are what a forged request would lack. Wrong numbers count against
    the network's budget of guesses, so the number cannot be guessed with a leaked link.
    """
    try:
        guest_links.order_for_token(token=token)
    except NotFound as error:
        return _guest_page(request, "", None, status=404, error=error.message)
    if request.method != "POST":
        return _guest_page(request, token, None)
    number = str(request.POST.get("number", ""))[:20]
    try:
        order = guarded(
            buckets=limits.number_buckets(ip=client_ip(request)),
            check=lambda: _open_or_none(token, number),
            what="order number attempts",
        )
    except Throttled as error:
        return _guest_page(request, token, None, status=429, error=error.message)
    if order is None:
        return _guest_page(request, token, None, status=404, error=guest_links.NOT_FOUND)
    action = str(request.POST.get("action", ""))[:10]
    body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
    try:
        if action == "open":
            services.clean_body(body)
            limits.count_opening(ip=client_ip(request))
            services.open_conversation(
                subject=order.subject, topic=Topic.ORDER, body=body, order=order, guest=True
            )
            return _guest_page(request, token, order, notice="Your question is with us.")
        if action in ("write", "close", "reopen"):
            wanted = _uuid(request.POST.get("conversation"))
            found = (
                selectors.guest_conversations(order=order)
                .filter(subject=order.subject, pk=wanted)
                .first()
                if wanted is not None
                else None
            )
            if found is None:
                raise NotFound("No such conversation on this order.")
            if action == "write":
                services.customer_writes(conversation=found, body=body)
            elif action == "close":
                services.close(conversation=found)
            else:
                services.reopen(conversation=found)
            return _guest_page(request, token, order, notice="Done.")
    except LookoutError as error:
        return _guest_page(
            request, token, order, status=error.status_code, error=error.message, body=body
        )
    return _guest_page(request, token, order)


def _open_or_none(token: str, number: str) -> Order | None:
    try:
        return guest_links.open_order(token=token, number=number)
    except NotFound:
        return None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    """Development only: the mail the store sent, as a customer would get it."""
    from lookout.support import outbox as dev_outbox

    if not dev_outbox.enabled():
        raise Http404("No such page.")
    return render(request, "support/outbox.html", {"mails": dev_outbox.messages()})


# --- visitors: a question about a product before buying, with an email code ---------------


def _visitor_page(request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    return render(request, "support/visitor.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def visitor_ask(request: HttpRequest) -> HttpResponse:
    """Ask about a product without an account: the question and an email, then the code sent
    to that email; then the conversation opens and its signed link is shown and emailed.

    Signed-in customers are sent to their own form. Exempt from the cookie CSRF check (the
    store works with cookies blocked): the emailed code is what a forged request lacks, and
    code requests are counted per address and per network.
    """
    from lookout.support import visitors

    raw_sku = request.GET.get("product") or request.POST.get("product")
    product = _product(raw_sku)
    if request.user.is_authenticated and not getattr(request.user, "role", ""):
        suffix = f"?product={product.sku}" if product else ""
        return redirect(reverse("support:new") + suffix)
    if product is None:
        return _visitor_page(request, status=404, error="We have no such product.")
    body = str(request.POST.get("body", ""))[: services.BODY_MAX + 1]
    context: dict[str, Any] = {
        "product": product,
        "body": body,
        "publish": request.POST.get("publish") == "on",
    }
    if request.method != "POST":
        return _visitor_page(request, **context)
    try:
        services.clean_body(body)
        if "code" not in request.POST:
            visitor = visitors.start(
                email=str(request.POST.get("email", ""))[:300], ip=client_ip(request)
            )
            return _visitor_page(request, visitor_id=visitor.pk, **context)
        visitor_id = _uuid(request.POST.get("visitor"))
        context["visitor_id"] = visitor_id
        verified = guarded(
            buckets=limits.number_buckets(ip=client_ip(request)),
            check=lambda: _verified_or_none(visitor_id, str(request.POST.get("code", ""))[:20]),
            what="code attempts",
        )
        if verified is None:
            raise visitors.NotVerified(visitors.WRONG_CODE)
        limits.count_opening(ip=client_ip(request))
        conversation = visitors.open_for_visitor(
            visitor=verified,
            product=product,
            body=body,
            publish_ok=request.POST.get("publish") == "on",
        )
    except LookoutError as error:
        return _visitor_page(request, status=error.status_code, error=error.message, **context)
    visitors.email_visitor(conversation=conversation, answered=False)
    return redirect("support:visitor_conversation", token=visitors.follow_token(conversation))


def _verified_or_none(visitor_id: uuid.UUID | None, code: str) -> Any:
    from lookout.support import visitors

    try:
        return visitors.verify(visitor_id=visitor_id, code=code)
    except visitors.NotVerified:
        return None


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def visitor_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """A visitor's conversation, through its signed link (shown once the email was proved, and
    emailed to that address). Exempt from the cookie CSRF check: the link is the credential."""
    from lookout.support import visitors

    try:
        found = visitors.conversation_for_token(token)
    except NotFound as missing:
        return render(
            request, "support/visitor.html", {"error": missing.message, "lost": True}, status=404
        )
    error, status = "", 200
    if request.method == "POST":
        action = str(request.POST.get("action", "write"))[:10]
        try:
            if action == "write":
                services.customer_writes(
                    conversation=found,
                    body=str(request.POST.get("body", ""))[: services.BODY_MAX + 1],
                )
            elif action == "close":
                services.close(conversation=found)
            elif action == "reopen":
                services.reopen(conversation=found)
            else:
                raise LookoutError("Unknown action.")
        except LookoutError as refusal:
            error, status = refusal.message, refusal.status_code
        else:
            return redirect("support:visitor_conversation", token=token)
    posts = _posts(found, actor=None, purpose=Purpose.ACCOUNT_NOTICE)
    # Privacy requests made from here, each followed through a signed link of its own.
    links = [
        {
            "link": link,
            "href": reverse(
                "privacy:visitor_request", args=[visitors.request_token(link.request_id)]
            ),
        }
        for link in selectors.request_links(found)
    ]
    return render(
        request,
        "support/visitor_conversation.html",
        {
            "conversation": found,
            "posts": posts,
            "error": error,
            "token": token,
            "request_links": links,
        },
        status=status,
    )
