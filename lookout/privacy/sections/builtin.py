"""The sections of the access file for the apps that exist today (C6.2).

Each function reads one kind of data about one person. Personal values go through the gate
(`ctx.reveal`); the rest (dates, amounts, statuses) are plain columns of pseudonymous rows.
Staff are named by role only, never by who they are.
"""

from __future__ import annotations

import json
from typing import Any

from lookout.privacy.sections import SectionContext, section


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@section("account", "Your account", order=10, description="The account and how you sign in.")
def account(ctx: SectionContext) -> dict[str, Any] | None:
    from lookout.accounts.models import User

    user = User.objects.filter(subject=ctx.subject).first()
    if user is None:
        return None
    values = ctx.reveal(user, ["email"])
    return {
        "email": values["email"],
        "opened_at": _iso(user.date_joined),
        "last_sign_in_at": _iso(user.last_login),
        "closed_at": _iso(user.closed_at),
        "staff_role": user.get_role_display() if user.role else None,
        "second_factor": "on" if user.totp_confirmed_at else "off",
        "password": "set (stored only as an Argon2 hash; nobody can read it)"
        if user.has_usable_password()
        else "none",
    }


@section("addresses", "Saved addresses", order=20)
def addresses(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.checkout.models import SavedAddress

    rows = []
    for saved in SavedAddress.objects.filter(subject=ctx.subject).order_by("created_at"):
        values = ctx.reveal(saved, ["name", "address", "phone"])
        rows.append(
            {
                "id": str(saved.id),
                "name": values["name"],
                "address": json.loads(values["address"] or "{}"),
                "phone": values["phone"],
                "country": saved.country,
                "saved_at": _iso(saved.created_at),
            }
        )
    return rows


@section("orders", "Orders", order=30, description="What you bought and where it went.")
def orders(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.orders.models import Delivery, Order

    rows = []
    queryset = (
        Order.objects.filter(subject=ctx.subject)
        .prefetch_related("lines", "events")
        .order_by("placed_at")
    )
    deliveries = {d.order_id: d for d in Delivery.objects.filter(subject=ctx.subject)}
    for order in queryset:
        delivery = deliveries.get(order.pk)
        shipped_to = None
        if delivery is not None:
            values = ctx.reveal(delivery, ["name", "address", "phone", "email"])
            shipped_to = {
                "name": values["name"],
                "address": json.loads(values["address"] or "{}"),
                "phone": values["phone"],
                "email": values["email"],
                "country": delivery.country,
            }
        rows.append(
            {
                "number": order.number,
                "status": order.get_status_display(),
                "placed_at": _iso(order.placed_at),
                "paid_at": _iso(order.paid_at),
                "shipped_at": _iso(order.shipped_at),
                "delivered_at": _iso(order.delivered_at),
                "total_usd": str(order.total),
                "lines": [
                    {
                        "sku": line.sku,
                        "name": line.name,
                        "quantity": line.quantity,
                        "unit_price_usd": str(line.unit_price),
                    }
                    for line in order.lines.all()
                ],
                "delivery": shipped_to,
                "history": [
                    {"at": _iso(e.at), "from": e.from_status, "to": e.to_status}
                    for e in order.events.all()
                ],
            }
        )
    return rows


@section(
    "payments",
    "Payments",
    order=40,
    description="We never receive your card number: only the processor's token, the card's "
    "brand and its last four digits.",
)
def payments(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.orders.models import Order
    from lookout.payments.models import Payment

    numbers = dict(Order.objects.filter(subject=ctx.subject).values_list("pk", "number"))
    return [
        {
            "order": numbers[p.order_ref],
            "token": p.processor_token or None,
            "brand": p.brand or None,
            "last4": p.last4 or None,
            "status": p.get_status_display(),
            "amount_usd": str(p.amount),
            "at": _iso(p.created_at),
        }
        for p in Payment.objects.filter(order_ref__in=list(numbers)).order_by("created_at")
    ]


@section("messages", "Messages in your inbox", order=50)
def messages(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.inbox.models import Message

    rows = []
    for message in Message.objects.filter(subject=ctx.subject).order_by("created_at"):
        values = ctx.reveal(message, ["title", "body"])
        rows.append(
            {
                "kind": message.get_kind_display(),
                "title": values["title"],
                "body": values["body"],
                "sent_at": _iso(message.created_at),
                "read_at": _iso(message.read_at),
            }
        )
    return rows


@section(
    "marketing_choices",
    "Offers and news by email",
    order=60,
    description="Every choice you made, with the words you were shown; the latest is in force.",
)
def marketing_choices(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.accounts.models import MarketingChoice

    return [
        {
            "opted_in": choice.opted_in,
            "wording": choice.wording,
            "where": choice.source,
            "at": _iso(choice.at),
        }
        for choice in MarketingChoice.objects.filter(user__subject=ctx.subject).order_by("at")
    ]


@section("policy_acceptances", "Policies you accepted", order=70)
def policy_acceptances(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.policies.selectors import acceptances_for

    return [
        {
            "policy": row.version.get_document_display(),
            "version": row.version.number,
            "how": row.get_how_display(),
            "at": _iso(row.at),
        }
        for row in acceptances_for(subject=ctx.subject).order_by("at")
    ]


@section(
    "disclosures",
    "Shared with partners",
    order=80,
    description="Every time we sent some of your data to a partner: who, what kind, and why.",
)
def disclosures(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.sharing.selectors import disclosures_for

    return [
        {
            "partner": d.partner.name,
            "partner_kind": d.partner.get_kind_display(),
            "data": list(d.categories),
            "purpose": d.get_purpose_display(),
            "at": _iso(d.at),
        }
        for d in disclosures_for(ctx.subject)
    ]


@section(
    "staff_accesses",
    "Staff who looked at your data",
    order=90,
    description="From our audit log: which role, when, why. Staff are named by role only.",
)
def staff_accesses(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.access.roles import Role
    from lookout.audit.models import AuditEntry
    from lookout.core.purposes import Purpose

    entries = (
        AuditEntry.objects.for_subject(ctx.subject)
        .filter(actor_role__in=Role.values)
        .exclude(actor_ref=str(ctx.subject))
        .order_by("seq")
    )
    purposes = dict(Purpose.choices)
    return [
        {
            "role": Role(e.actor_role).label,
            "at": _iso(e.at),
            "what": e.action,
            "why": purposes.get(e.purpose, e.purpose) or None,
            "fields": list(e.fields),
            "outcome": e.outcome,
        }
        for e in entries
    ]


@section("requests", "Your privacy requests", order=100)
def requests(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.privacy.models import SubjectRequest

    return [
        {
            "kind": r.get_kind_display(),
            "status": r.get_status_display(),
            "made_at": _iso(r.created_at),
            "due_at": _iso(r.due_at),
            "decided_at": _iso(r.decided_at),
        }
        for r in SubjectRequest.objects.filter(subject=ctx.subject).order_by("created_at")
    ]
