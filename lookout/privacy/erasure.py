"""Erasure (C6.4): after approval, every personal value of one person becomes unrecoverable.

The key step is crypto-shredding: the person's data key is deleted from the key store, so every
ciphertext sealed under it (account email, delivery details, inbox messages, saved addresses, the
access file) can never be opened again — in the live database and in any backup of it, because
the key store is kept and backed up apart (see docs/architecture.md). Around it, each app's
*eraser* removes what is not sealed: blind indexes (which would let someone holding the index key
confirm a guessed email), card facts kept in plain columns, free text, choices and sessions; the
account is closed. Sealed values of structured records (a delivery's name and address, the
account email) stay as ciphertext: they open for nobody, like their copies in backups, and a read
fails with `KeyDestroyed`, which pages show as "erased". What stays is anonymous: order numbers,
amounts, items, countries, and the pseudonymous audit log and disclosure ledger, which name
nobody once the key is gone.

Erasers register with `register_eraser(name, function)`; a new app holding personal data in a
form the key does not cover adds its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lookout.vault.crypto import destroy_data_key
from lookout.vault.routers import KEYSTORE

Eraser = Callable[[uuid.UUID], int]
_ERASERS: dict[str, Eraser] = {}


def register_eraser(name: str, eraser: Eraser) -> None:
    _ERASERS[name] = eraser


def partners_told(subject: uuid.UUID) -> list[dict[str, Any]]:
    """Partners that received this person's data (from the ledger), for follow-up (C6.4)."""
    from lookout.sharing.selectors import disclosures_for

    found: dict[str, dict[str, Any]] = {}
    for d in disclosures_for(subject):
        entry = found.setdefault(
            str(d.partner_id),
            {"partner": d.partner.name, "kind": d.partner.kind, "disclosures": 0},
        )
        entry["disclosures"] += 1
        entry["last_at"] = d.at.isoformat()
    return sorted(found.values(), key=lambda e: e["partner"])


def partner_records(subject: uuid.UUID) -> dict[str, list[str]]:
    """The partners' own references to this person's records, per partner kind, for the
    redaction requests (issue 26): the carrier's tracking numbers, the processor's payment
    sessions. Opaque ids, no personal data; read before the erasure (they stay after it)."""
    from lookout.orders.models import Order
    from lookout.payments.models import Payment
    from lookout.shipping.models import Shipment

    orders = Order.objects.filter(subject=subject).values("pk")
    return {
        "carrier": list(
            Shipment.objects.filter(order__in=orders).values_list("tracking_number", flat=True)
        ),
        "payment_processor": [
            str(reference)
            for reference in Payment.objects.filter(
                order_ref__in=orders, processor_reference__isnull=False
            ).values_list("processor_reference", flat=True)
        ],
    }


def erase_subject(*, subject: uuid.UUID) -> dict[str, int]:
    """Run every eraser, then destroy the data key; one unit of work over both databases.

    Returns what each eraser removed (counts only). Running it twice is harmless.
    """
    _secure_delete_on()
    counts: dict[str, int] = {}
    with transaction.atomic(using=KEYSTORE), transaction.atomic():
        for name, eraser in _ERASERS.items():
            counts[name] = eraser(subject)
        counts["data_key"] = int(destroy_data_key(subject=subject))
    return counts


def _secure_delete_on() -> None:
    """SQLite keeps deleted bytes in free pages unless told to overwrite them with zeros."""
    for alias in ("default", KEYSTORE):
        connection = connections[alias]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")


# --- the built-in erasers ------------------------------------------------------------------


def _account(subject: uuid.UUID) -> int:
    from lookout.accounts.models import User

    user = User.objects.filter(subject=subject).first()
    if user is None:
        return 0
    user.set_unusable_password()
    User.objects.filter(pk=user.pk).update(
        email_index=None,
        totp_secret=None,
        password=user.password,
        is_active=False,
        closed_at=Coalesce(F("closed_at"), Value(timezone.now())),  # when it first closed
        last_login=None,
    )
    return 1


def _sessions(subject: uuid.UUID) -> int:
    """End every session signed in as this person, or verified as this guest. The session
    table is not searchable by person, so each live session is decoded (erasures are rare)."""
    from lookout.accounts.models import User
    from lookout.privacy.verification import GUEST_SESSION_KEY

    user_id = User.objects.filter(subject=subject).values_list("pk", flat=True).first()
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        guest = data.get(GUEST_SESSION_KEY) or {}
        if (user_id is not None and data.get("_auth_user_id") == str(user_id)) or guest.get(
            "subject"
        ) == str(subject):
            session.delete()
            ended += 1
    return ended


def _saved_addresses(subject: uuid.UUID) -> int:
    from lookout.checkout.models import SavedAddress

    return SavedAddress.objects.filter(subject=subject).delete()[0]


def _deliveries(subject: uuid.UUID) -> int:
    from lookout.orders.models import Delivery

    # The sealed name, address, phone and email stay as they are: without the key they are
    # noise, exactly like their copies in old backups, and every later read of them fails with
    # KeyDestroyed ("erased"), which pages can show as such.
    return Delivery.objects.filter(subject=subject).update(email_index="")


def _cancellation_reasons(subject: uuid.UUID) -> int:
    """A staff member's reason for cancelling one of the person's orders is free text: it goes
    (the fact of the cancellation, by whom and the payment's outcome stay, naming nobody)."""
    from lookout.orders.models import Cancellation

    return Cancellation.objects.filter(subject=subject, reason__isnull=False).update(reason=None)


def _order_notes(subject: uuid.UUID) -> int:
    """Staff's internal notes on the person's orders are free text about them: they go."""
    from lookout.orders.models import OrderNote

    return OrderNote.objects.filter(subject=subject).delete()[0]


def _conversations(subject: uuid.UUID) -> int:
    """Customer-service conversations are free text about the person: they go, with every
    message and staff note in them, what was published from them, a visitor's sealed email
    and the email-notice choice."""
    from lookout.catalog.cache import bump_generation
    from lookout.support.models import Conversation, NoticeChoice, PublicQuestion, Visitor

    NoticeChoice.objects.filter(subject=subject).delete()
    if PublicQuestion.objects.filter(conversation__subject=subject).exists():
        bump_generation()  # a published question goes with them: no cached page keeps it
    return (
        Conversation.objects.filter(subject=subject).delete()[0]
        + Visitor.objects.filter(subject=subject).delete()[0]
    )


def _reviews(subject: uuid.UUID) -> int:
    """A review's words and the name it was shown under go (free text about the person); the
    stars of a published one stay in the product's average, naming nobody."""
    from lookout.reviews.services import forget_words

    return forget_words(subject=subject)


def _messages(subject: uuid.UUID) -> int:
    from lookout.inbox.models import Message

    return Message.objects.filter(subject=subject).delete()[0]


def _marketing_choices(subject: uuid.UUID) -> int:
    from lookout.accounts.models import MarketingChoice

    return MarketingChoice.objects.filter(user__subject=subject).delete()[0]


def _card_facts(subject: uuid.UUID) -> int:
    from lookout.orders.models import Order
    from lookout.payments.models import Payment

    return Payment.objects.filter(
        order_ref__in=Order.objects.filter(subject=subject).values("pk")
    ).update(brand="", last4="", exp_month=None, exp_year=None)


def _policy_acceptances(subject: uuid.UUID) -> int:
    from lookout.policies.models import PolicyAcceptance

    return PolicyAcceptance.objects.filter(subject=subject).delete()[0]


def _requests(subject: uuid.UUID) -> int:
    from lookout.privacy.models import GuestChallenge, SubjectRequest

    GuestChallenge.objects.filter(subject=subject).delete()
    return SubjectRequest.objects.filter(subject=subject).update(details=None, access_file=None)


def _consent_receipts(subject: uuid.UUID) -> int:
    """Cookie receipts stay as anonymous proof of a choice; only the link to the person goes."""
    from lookout.consent.models import ConsentReceipt

    return ConsentReceipt.objects.filter(subject=subject).update(subject=None)


def _purpose_consents(subject: uuid.UUID) -> int:
    from lookout.marketing.models import PurposeConsent

    deleted, _ = PurposeConsent.objects.filter(subject=subject).delete()
    return deleted


register_eraser("sessions", _sessions)  # first: reads the account before it is closed
register_eraser("accounts.user", _account)
register_eraser("accounts.marketing_choices", _marketing_choices)
register_eraser("checkout.saved_addresses", _saved_addresses)
register_eraser("orders.deliveries", _deliveries)
register_eraser("orders.cancellation_reasons", _cancellation_reasons)
register_eraser("orders.notes", _order_notes)
register_eraser("inbox.messages", _messages)
register_eraser("support.conversations", _conversations)
register_eraser("reviews.words", _reviews)
register_eraser("payments.card_facts", _card_facts)
register_eraser("policies.acceptances", _policy_acceptances)
register_eraser("privacy.requests", _requests)
register_eraser("consent.receipts", _consent_receipts)
register_eraser("marketing.purpose_consents", _purpose_consents)
