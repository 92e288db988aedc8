"""The sections of the access file for the apps that exist today (C6.2).

Each function reads one kind of data about one person. Sealed records are yielded
(`yield ctx.read_rows(...)`) and their values come back once the whole file's records have
been through the gate together (see `build_sections`); the rest (dates, amounts, statuses) are
plain columns of pseudonymous rows. Staff are named by role only, never by who they are.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import NotSupportedError
from django.db.models import CharField, Func
from django.db.models.functions import Cast

from lookout.core.expressions import UuidText
from lookout.privacy.sections import Reading, SectionContext, section
from lookout.vault.fields import sealed_bytes


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class _IsoTime(Func):
    """A timestamp column read as the ISO 8601 text `isoformat()` gives for the aware UTC
    datetime Django would have returned ("2026-03-01T12:00:00.120000+00:00"; six digits of
    fraction, none when the microseconds are zero).

    Why: an access file holds about 10,000 times. Read as datetimes, each went through the
    driver's parser and Django's converters (on SQLite: parse, settings lookup, make aware;
    on PostgreSQL: the connection's zone, in Python) only to be formatted back into text; read
    as text and fixed up in Python, the fix-up was still a tenth of the file's instructions.
    The database hands out the final text (decision 0025).
    """

    output_field = CharField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        raise NotSupportedError(f"_IsoTime has no SQL for {connection.vendor}.")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores str() of the naive datetime in the connection's time zone:
        # "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS.ffffff". A value in any other shape
        # (written outside Django) is handed out as stored rather than garbled.
        if connection.timezone_name != "UTC":
            raise NotSupportedError("_IsoTime reads SQLite times stored in UTC only.")
        template = (
            "CASE WHEN length(%(expressions)s) IN (19, 26)"
            " AND substr(%(expressions)s, 11, 1) = ' '"
            " THEN replace(%(expressions)s, ' ', 'T') || '+00:00'"
            " ELSE CAST(%(expressions)s AS TEXT) END"
        )
        return super().as_sql(compiler, connection, template=template)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # to_char's "US" always has six digits; isoformat() leaves out a zero fraction.
        template = (
            "replace(to_char(%(expressions)s AT TIME ZONE 'UTC',"
            " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), '.000000+', '+')"
        )
        return super().as_sql(compiler, connection, template=template)


def _key(column: str) -> Cast:
    """A UUID column as plain text, for matching rows of two queries in Python: the same cast on
    both sides gives the same text, and no UUID object is built per row (thousands per file)."""
    return Cast(column, output_field=CharField())


@section("account", "Your account", order=10, description="The account and how you sign in.")
def account(ctx: SectionContext) -> Reading:
    from lookout.accounts.models import User

    user = User.objects.filter(subject=ctx.subject).first()
    if user is None:
        return None
    (values,) = yield ctx.read_many([user], ["email"])
    return {
        "email": values["email"],
        "opened_at": _iso(user.date_joined),
        "last_sign_in_at": _iso(user.last_login),
        "closed_at": _iso(user.closed_at),
        "staff_role": user.get_role_display() if user.role else None,
        # Staff only: the work name colleagues see in the back office and the audit log.
        "staff_display_name": user.display_name or None,
        "second_factor": "on" if user.totp_confirmed_at else "off",
        "password": "set (stored only as an Argon2 hash; nobody can read it)"
        if user.has_usable_password()
        else "none",
    }


@section("addresses", "Saved addresses", order=20)
def addresses(ctx: SectionContext) -> Reading:
    from lookout.checkout.models import SavedAddress

    saved = list(SavedAddress.objects.filter(subject=ctx.subject).order_by("created_at"))
    revealed = yield ctx.read_many(saved, ["name", "address", "phone"])
    return [
        {
            "id": str(row.id),
            "name": values["name"],
            "address": json.loads(values["address"] or "{}"),
            "phone": values["phone"],
            "country": row.country,
            "saved_at": _iso(row.created_at),
        }
        for row, values in zip(saved, revealed, strict=True)
    ]


def _by_order(rows: Any) -> dict[Any, list[Any]]:
    """Rows (tuples whose first item is the order id) grouped by order, in query order."""
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        found = grouped.get(row[0])
        if found is None:
            grouped[row[0]] = [row]
        else:
            found.append(row)
    return grouped


@section("orders", "Orders", order=30, description="What you bought and where it went.")
def orders(ctx: SectionContext) -> Reading:
    """Plain columns are read as tuples and the deliveries as `.values()` rows (no model
    instances: a thousand orders with their lines and history must cost milliseconds); the
    deliveries go through the gate in one call, one audit entry naming them all."""
    from lookout.orders.models import Delivery, Order, OrderEvent, OrderLine, Status

    statuses = dict(Status.choices)
    placed = list(
        Order.objects.filter(subject=ctx.subject)
        .order_by("placed_at")
        .values_list(
            _key("id"),
            "number",
            "status",
            _IsoTime("placed_at"),
            _IsoTime("paid_at"),
            _IsoTime("shipped_at"),
            _IsoTime("delivered_at"),
            "total",
        )
    )
    mine = Order.objects.filter(subject=ctx.subject).values("pk")
    lines = _by_order(
        OrderLine.objects.filter(order__in=mine)
        .order_by("pk")
        .values_list(_key("order_id"), "sku", "name", "quantity", "unit_price")
    )
    events = _by_order(
        OrderEvent.objects.filter(order__in=mine)
        .order_by("at", "pk")
        .values_list(_key("order_id"), _IsoTime("at"), "from_status", "to_status")
    )
    deliveries = list(
        Delivery.objects.filter(subject=ctx.subject).values_list(
            UuidText("id"),
            UuidText("subject"),
            *(sealed_bytes(name) for name in ("name", "address", "phone", "email")),
            "country",
            _key("order_id"),
        )
    )
    revealed = yield ctx.read_rows(Delivery, deliveries, ["name", "address", "phone", "email"])
    # A customer ships most orders to the same few addresses: each distinct address text is
    # parsed once per file (the parsed dicts are only serialised afterwards, never changed).
    parsed: dict[str, Any] = {}

    def loads(text: str) -> Any:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = json.loads(text)
        return found

    shipped_to = {
        d[7]: {
            "name": values["name"],
            "address": loads(values["address"] or "{}"),
            "phone": values["phone"],
            "email": values["email"],
            "country": d[6],
        }
        for d, values in zip(deliveries, revealed, strict=True)
    }
    none: list[Any] = []
    return [
        {
            "number": number,
            "status": statuses.get(status, status),
            "placed_at": placed_at,
            "paid_at": paid_at,
            "shipped_at": shipped_at,
            "delivered_at": delivered_at,
            "total_usd": str(total),
            "lines": [
                {
                    "sku": sku,
                    "name": name,
                    "quantity": quantity,
                    "unit_price_usd": str(unit_price),
                }
                for _, sku, name, quantity, unit_price in lines.get(order_id, none)
            ],
            "delivery": shipped_to.get(order_id),
            "history": [
                {"at": at, "from": old, "to": new} for _, at, old, new in events.get(order_id, none)
            ],
        }
        for (
            order_id,
            number,
            status,
            placed_at,
            paid_at,
            shipped_at,
            delivered_at,
            total,
        ) in placed
    ]


@section(
    "cancellations",
    "Cancelled orders",
    order=35,
    description="Orders cancelled before shipment: by whom, what became of the payment, and "
    "the reason our staff gave when they cancelled one.",
)
def cancellations(ctx: SectionContext) -> Reading:
    """Who cancelled is named by kind only (you, after-sales, the store), never by person; the
    staff's reason is sealed under the person's key and goes through the gate."""
    from lookout.orders.models import Cancellation

    rows = list(
        Cancellation.objects.filter(subject=ctx.subject)
        .select_related("order")
        .only("id", "subject", "reason", "by", "payment", "at", "order__number")
        .order_by("at")
    )
    with_reason = [row for row in rows if row.reason is not None]
    opened = yield ctx.read_many(with_reason, ["reason"])
    reasons = {row.pk: values["reason"] for row, values in zip(with_reason, opened, strict=True)}
    return [
        {
            "order": row.order.number,
            "by": Cancellation.By(row.by).label,
            "payment": row.payment,
            "reason": reasons.get(row.pk),
            "at": _iso(row.at),
        }
        for row in rows
    ]


@section(
    "order_notes",
    "Our staff's notes on your orders",
    order=36,
    description="What our staff wrote down while handling your orders at the order desk, and "
    "which team wrote it (never who).",
)
def order_notes(ctx: SectionContext) -> Reading:
    """Each note goes through the gate sealed, like every free text about the person; the
    author is named by role only."""
    from lookout.access.roles import Role
    from lookout.orders.models import OrderNote

    rows = list(
        OrderNote.objects.filter(subject=ctx.subject)
        .select_related("order")
        .only("id", "subject", "body", "author_role", "at", "order__number")
        .order_by("at", "id")
    )
    opened = yield ctx.read_many(rows, ["body"])
    labels = dict(Role.choices)
    return [
        {
            "order": row.order.number,
            "by": str(labels.get(row.author_role, "Staff")),
            "note": values["body"],
            "at": _iso(row.at),
        }
        for row, values in zip(rows, opened, strict=True)
    ]


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

    mine = Order.objects.filter(subject=ctx.subject)
    numbers = dict(mine.values_list(_key("pk"), "number"))
    statuses = dict(Payment.Status.choices)
    return [
        {
            "order": numbers[order],
            "token": token or None,
            "brand": brand or None,
            "last4": last4 or None,
            "status": statuses.get(status, status),
            "amount_usd": str(amount),
            "at": at,
        }
        for order, token, brand, last4, status, amount, at in Payment.objects.filter(
            order_ref__in=mine.values("pk")
        )
        .order_by("created_at")
        .values_list(
            _key("order_ref"),
            "processor_token",
            "brand",
            "last4",
            "status",
            "amount",
            _IsoTime("created_at"),
        )
    ]


@section("messages", "Messages in your inbox", order=50)
def messages(ctx: SectionContext) -> Reading:
    from lookout.inbox.models import Message

    kinds = dict(Message.Kind.choices)
    inbox = list(
        Message.objects.filter(subject=ctx.subject)
        .order_by("created_at")
        .values_list(
            UuidText("id"),
            UuidText("subject"),
            sealed_bytes("title"),
            sealed_bytes("body"),
            "kind",
            _IsoTime("created_at"),
            _IsoTime("read_at"),
        )
    )
    revealed = yield ctx.read_rows(Message, inbox, ["title", "body"])
    return [
        {
            "kind": kinds.get(kind, kind),
            "title": values["title"],
            "body": values["body"],
            "sent_at": sent_at,
            "read_at": read_at,
        }
        for (_, _, _, _, kind, sent_at, read_at), values in zip(inbox, revealed, strict=True)
    ]


def _published(conversation: Any) -> dict[str, Any] | None:
    """What the product page shows from this conversation, in the words staff published."""
    published = getattr(conversation, "public_question", None)
    if published is None:
        return None
    return {
        "question": published.question,
        "answer": published.answer,
        "at": _iso(published.published_at),
    }


@section(
    "conversations",
    "Your conversations with customer service",
    order=52,
    description="Every message you and our staff wrote, and our staff's internal notes on the "
    "conversation (staff named by team, never who); and whether you asked for an email when a "
    "message waits.",
)
def conversations(ctx: SectionContext) -> Reading:
    from lookout.access.roles import Role
    from lookout.support.models import Conversation, NoticeChoice, Post

    labels = dict(Role.choices)
    threads = list(
        Conversation.objects.filter(subject=ctx.subject).select_related(
            "order", "product", "public_question"
        )
    )
    posts = list(Post.objects.filter(subject=ctx.subject).order_by("at", "id"))
    opened = yield ctx.read_many(posts, ["body"])
    by_thread: dict[Any, list[dict[str, Any]]] = {}
    for post, values in zip(posts, opened, strict=True):
        by_thread.setdefault(post.conversation_id, []).append(
            {
                "by": str(labels.get(post.author_role, "Staff"))
                if post.author_role
                else post.get_author_display(),
                "kind": post.author,
                "text": values["body"],
                "at": _iso(post.at),
            }
        )
    choice = NoticeChoice.objects.filter(subject=ctx.subject).first()
    return {
        "email_when_a_message_waits": bool(choice and choice.email_on_message),
        "conversations": [
            {
                "about": t.order.number
                if t.order is not None
                else t.product.name
                if t.product is not None
                else t.get_topic_display(),
                "state": t.get_state_display(),
                "opened_at": _iso(t.opened_at),
                "closed_at": _iso(t.closed_at),
                "you_agreed_to_publish": t.publish_ok,
                "published_on_the_product_page": _published(t),
                "messages": by_thread.get(t.pk, []),
            }
            for t in sorted(threads, key=lambda t: (t.opened_at, str(t.pk)))
        ],
    }


@section(
    "question_email",
    "The email you gave to ask us a question without an account",
    order=53,
    description="Proved with a one-time code; we use it only to send codes and to say that an "
    "answer or a request waits.",
)
def question_email(ctx: SectionContext) -> Reading:
    from lookout.support.models import Visitor

    rows = list(Visitor.objects.filter(subject=ctx.subject).order_by("created_at"))
    if not rows:
        return None
    opened = yield ctx.read_many(rows, ["email"])
    return [
        {"email": values["email"], "proved_at": _iso(row.verified_at)}
        for row, values in zip(rows, opened, strict=True)
    ]


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
    from lookout.policies.models import PolicyAcceptance, PolicyVersion
    from lookout.policies.selectors import acceptances_for

    # Tuples, not instances: select_related would load each version's full text per row (and
    # a thousand orders accept the terms thousands of times).
    documents = dict(PolicyVersion._meta.get_field("document").flatchoices)
    hows = dict(PolicyAcceptance.How.choices)
    return [
        {
            "policy": documents.get(document, document),
            "version": number,
            "how": hows.get(how, how),
            "at": at,
        }
        for document, number, how, at in acceptances_for(subject=ctx.subject)
        .order_by("at")
        .values_list("version__document", "version__number", "how", _IsoTime("at"))
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
    "consented_disclosures",
    "Shared with your one-off consent",
    order=85,
    description="Data we passed to someone outside our partners, each time only because you "
    "agreed to that one disclosure: to whom, which data, why, and the words you agreed to.",
)
def consented_disclosures(ctx: SectionContext) -> Reading:
    from lookout.sharing.consented import consented_disclosures_for

    rows = list(consented_disclosures_for(ctx.subject).select_related("consent"))
    consents = yield ctx.read_many(
        [row.consent for row in rows], ["recipient", "purpose_text", "wording"]
    )
    return [
        {
            "recipient": consent["recipient"],
            "data": list(row.fields),
            "purpose": consent["purpose_text"],
            "you_agreed_to": consent["wording"],
            "agreed_at": _iso(row.consent.granted_at),
            "at": _iso(row.at),
        }
        for row, consent in zip(rows, consents, strict=True)
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
            # Extended once by the officer (C6.8): the earlier due date and the stated reason.
            "extended_from": _iso(r.due_before_extension),
            "extension_reason": r.get_extension_reason_display() or None,
        }
        for r in SubjectRequest.objects.filter(subject=ctx.subject).order_by("created_at")
    ]


@section("restrictions", "Restrictions of processing you asked for", order=101)
def restrictions(ctx: SectionContext) -> list[dict[str, Any]]:
    from lookout.privacy.models import ProcessingRestriction

    return [
        {
            "ground": r.get_ground_display(),
            "from": _iso(r.created_at),
            "lifted_at": _iso(r.lifted_at),
            "lift_reason": r.get_lift_reason_display() or None,
        }
        for r in ProcessingRestriction.objects.filter(subject=ctx.subject).order_by("created_at")
    ]


@section(
    "reviews",
    "Your reviews",
    order=53,
    description="Every product review you wrote: the stars, the words and the name you chose to "
    "show, whether it was published, and what you agreed to when you sent it.",
)
def reviews(ctx: SectionContext) -> Reading:
    from lookout.reviews.models import Review
    from lookout.reviews.services import AGREEMENT

    rows = list(Review.objects.filter(subject=ctx.subject).select_related("product", "order"))
    rows.sort(key=lambda r: (r.written_at, str(r.pk)))
    live = [r for r in rows if r.erased_at is None]
    opened = yield ctx.read_many(live, ["pseudonym", "body"])
    words = {r.pk: values for r, values in zip(live, opened, strict=True)}
    return [
        {
            "product": r.product.name,
            "order": r.order.number if r.order is not None else None,
            "stars": r.stars,
            "name_shown": words.get(r.pk, {}).get("pseudonym"),
            "text": words.get(r.pk, {}).get("body"),
            "state": r.get_state_display(),
            "written_at": _iso(r.written_at),
            "decided_at": _iso(r.decided_at),
            "you_agreed_to": AGREEMENT,
        }
        for r in rows
    ]
