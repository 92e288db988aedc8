"""How far an erasure reaches (C6.4, C6.7): every kind of one person's data, and no one else's.

Two customers, A and B, each get every kind of data an eraser handles: an account with a second
factor's secret and a signed-in session, a guest session proving one of their orders, a saved
address, orders with delivery details and card facts, a cancellation with a staff reason and one
without, a staff note, a support conversation whose question was published on the product page,
an email-notice choice, a published review, inbox messages, a marketing choice, policy
acceptances, requests with their own words and an access file, a guest challenge, a cookie
receipt and a purpose consent. A is erased; then each kind of A's data is gone or blanked as
the erasure promises (read from the raw rows), every row of B is exactly as it was, the counts
the erasure reports are exact, and a second run changes nothing. Guests and visitors (a person
known by an order or a question only) are erased the same way. The ledger of what partners were
told is summed per partner for the follow-up requests.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.services import create_account, record_marketing_choice
from lookout.audit.models import AuditEntry
from lookout.catalog import cache as page_cache
from lookout.catalog.models import Product
from lookout.checkout.models import SavedAddress
from lookout.checkout.services import save_address
from lookout.consent.models import ConsentReceipt
from lookout.consent.services import record_choice
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.marketing.models import PurposeConsent
from lookout.marketing.repurpose import grant_purpose_consent
from lookout.orders.cancellation import cancel_by_customer, cancel_by_staff
from lookout.orders.demo import CARRIER_NAME, PROCESSOR_NAME
from lookout.orders.desk import add_note
from lookout.orders.models import Cancellation, Delivery, Order, OrderNote
from lookout.orders.testing import PHONE, RECIPIENT, US_ADDRESS, make_product, place
from lookout.payments.models import Payment
from lookout.policies.models import PolicyAcceptance
from lookout.privacy import erasure
from lookout.privacy.erasure import erase_subject, partner_records, partners_told
from lookout.privacy.models import GuestChallenge, Kind, Status, SubjectRequest, Via
from lookout.privacy.services import open_request
from lookout.privacy.tests.conftest import GUEST_EMAIL, deliver, disclose_to_carrier
from lookout.privacy.verification import GUEST_SESSION_KEY
from lookout.reviews.models import Review
from lookout.reviews.services import publish, write_review
from lookout.sharing.models import Disclosure, Partner
from lookout.support.models import Conversation, NoticeChoice, Post, PublicQuestion, Visitor
from lookout.support.services import (
    open_conversation,
    publish_question,
    set_notice_choice,
    staff_note,
)
from lookout.vault.crypto import KeyDestroyed
from lookout.vault.models import DataKey

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

PASSWORD = "correct-horse-battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
PUBLISHED_Q = "Does it see through a window at night?"
ANSWER = "Infrared reflects off glass: mount it outside."
THE_ERASERS = {
    "sessions",
    "accounts.user",
    "accounts.marketing_choices",
    "checkout.saved_addresses",
    "orders.deliveries",
    "orders.cancellation_reasons",
    "orders.notes",
    "inbox.messages",
    "support.conversations",
    "reviews.words",
    "payments.card_facts",
    "policies.acceptances",
    "privacy.requests",
    "consent.receipts",
    "marketing.purpose_consents",
    "data_key",
}


@dataclass
class Holder:
    """One customer and every kind of data the erasure has to reach."""

    user: User
    product: Product
    delivered: Order
    cancelled_by_staff: Order
    cancelled_by_customer: Order
    conversation: Conversation
    review: Review
    signed_in: Client
    guest: Client
    session_keys: list[str]  # the signed-in one and the guest one

    @property
    def subject(self) -> uuid.UUID:
        return self.user.subject

    @property
    def orders(self) -> list[Order]:
        return [self.delivered, self.cancelled_by_staff, self.cancelled_by_customer]


def _session_key(client: Client) -> str:
    return str(client.session.session_key)


def _guest_session(*, subject: uuid.UUID, order: Order) -> Client:
    """A browser that proved the order's email with a code (what the guest views store)."""
    client = Client()
    session = client.session
    session[GUEST_SESSION_KEY] = {
        "subject": str(subject),
        "order": str(order.pk),
        "at": time.time(),
    }
    session.save()
    return client


def _give_everything(email: str, *, desk: User, words: str) -> Holder:
    """A customer with one row (or more) of every kind of personal data erasers handle."""
    user = create_account(email=email, password=PASSWORD)
    user.totp_secret = TOTP_SECRET  # type: ignore[assignment]
    user.save(update_fields=["totp_secret"])
    record_marketing_choice(user=user, opted_in=True, wording="Email me offers.", source="signup")
    save_address(user=user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE)

    product = make_product()
    delivered = deliver(place(product, user=user))  # paid by card: brand, last4, expiry
    Payment.objects.filter(order_ref=delivered.pk).update(
        processor_reference=f"ps_{secrets.token_hex(8)}"
    )
    disclose_to_carrier(delivered)
    by_staff = place(user=user)
    Payment.objects.create(  # a declined card attempt: its facts are personal too
        order_ref=by_staff.pk,
        amount=by_staff.total,
        status=Payment.Status.DECLINED,
        brand="mastercard",
        last4="4444",
        exp_month=3,
        exp_year=2031,
        idempotency_key=secrets.token_hex(8),
    )
    by_staff = cancel_by_staff(order=by_staff, actor=desk, reason=f"{words}: asked by phone")
    by_customer = cancel_by_customer(order=place(user=user), actor=user)
    add_note(order=delivered, actor=desk, body=f"{words} rang about the parcel")

    conversation = open_conversation(
        subject=user.subject,
        topic="product",
        body=f"{words} asks: does it see at night?",
        product=product,
        publish_ok=True,
    )
    staff_note(conversation=conversation, body=f"{words} is a regular", role=Role.AFTER_SALES)
    publish_question(conversation=conversation, question=PUBLISHED_Q, answer=ANSWER)
    set_notice_choice(subject=user.subject, email_on_message=True)

    review = write_review(
        user=user,
        product=product,
        stars=4,
        body=f"{words} likes it",
        pseudonym=words,
        agreed=True,
    )
    review = publish(review_id=review.pk, actor=desk)
    send_message(subject=user.subject, kind="account", title="Welcome", body=f"Hello {words}")

    open_request(
        subject=user.subject,
        kind=Kind.CORRECTION,
        via=Via.ACCOUNT,
        actor=user,
        details=f"Please spell my name {words}",
    )
    access = open_request(subject=user.subject, kind=Kind.ACCESS, via=Via.ACCOUNT, actor=user)
    access.access_file = f'{{"name": "{words}"}}'  # type: ignore[assignment]
    access.save(update_fields=["access_file"])
    GuestChallenge.objects.create(
        order_ref=delivered.pk,
        subject=user.subject,
        kind=Kind.ACCESS,
        code_hash="0" * 64,
        expires_at=timezone.now() + timedelta(minutes=15),
    )
    record_choice(method="custom", analytics=True, subject=user.subject)
    grant_purpose_consent(
        subject=user.subject,
        purpose_code="survey_2026",
        wording="Use my email for the 2026 product survey.",
        actor=user,
    )

    signed_in = Client()
    signed_in.force_login(user)  # also sets last_login
    guest = _guest_session(subject=user.subject, order=delivered)
    return Holder(
        user=User.objects.get(pk=user.pk),
        product=product,
        delivered=delivered,
        cancelled_by_staff=by_staff,
        cancelled_by_customer=by_customer,
        conversation=conversation,
        review=review,
        signed_in=signed_in,
        guest=guest,
        session_keys=[_session_key(signed_in), _session_key(guest)],
    )


def _rows(holder: Holder) -> dict[str, Any]:
    """Every raw row of the holder's data that an eraser may touch, as stored."""
    subject = holder.subject
    orders = [o.pk for o in holder.orders]

    def rows(queryset: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(queryset.values_list(*fields), key=repr)

    return {
        "user": rows(
            User.objects.filter(pk=holder.user.pk),
            "email",
            "email_index",
            "totp_secret",
            "password",
            "is_active",
            "closed_at",
            "last_login",
        ),
        "sessions": sorted(
            Session.objects.filter(session_key__in=holder.session_keys).values_list(
                "session_key", "session_data"
            )
        ),
        "marketing": rows(MarketingChoice.objects.filter(user=holder.user), "id", "wording"),
        "addresses": rows(SavedAddress.objects.filter(subject=subject), "id", "name", "address"),
        "deliveries": rows(Delivery.objects.filter(subject=subject), "id", "name", "email_index"),
        "cancellations": rows(Cancellation.objects.filter(subject=subject), "id", "reason"),
        "notes": rows(OrderNote.objects.filter(subject=subject), "id", "body"),
        "conversations": rows(Conversation.objects.filter(subject=subject), "id"),
        "posts": rows(Post.objects.filter(subject=subject), "id", "body"),
        "published": rows(
            PublicQuestion.objects.filter(conversation__subject=subject), "id", "question"
        ),
        "notice": rows(NoticeChoice.objects.filter(subject=subject), "email_on_message"),
        "reviews": rows(
            Review.objects.filter(subject=subject), "id", "stars", "body", "pseudonym", "erased_at"
        ),
        "messages": rows(Message.objects.filter(subject=subject), "id", "title", "body"),
        "payments": rows(
            Payment.objects.filter(order_ref__in=orders),
            "id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "processor_reference",
        ),
        "acceptances": rows(PolicyAcceptance.objects.filter(subject=subject), "id"),
        "requests": rows(
            SubjectRequest.objects.filter(subject=subject).exclude(kind=Kind.DELETION),
            "id",
            "details",
            "access_file",
        ),
        "challenges": rows(GuestChallenge.objects.filter(subject=subject), "id"),
        "receipts": rows(ConsentReceipt.objects.filter(subject=subject), "id"),
        "consents": rows(PurposeConsent.objects.filter(subject=subject), "id", "wording"),
        "data_key": rows(DataKey.objects.filter(subject=subject), "wrapped"),
    }


@pytest.fixture
def desk(staff: Callable[[str], Any]) -> User:
    user, _ = staff(Role.AFTER_SALES)
    return user


@pytest.fixture
def ann_and_bob(desk: User) -> tuple[Holder, Holder]:
    return (
        _give_everything("ann.erased@example.com", desk=desk, words="Ann Erased"),
        _give_everything("bob.kept@example.com", desk=desk, words="Bob Kept"),
    )


@pytest.fixture
def cached_pages(settings: Any) -> Iterator[None]:
    """The storefront page cache on, reading the shared generation on every request."""
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    yield
    page_cache.local.clear()


def _erased_counts(subject: uuid.UUID) -> dict[str, Any]:
    entry = AuditEntry.objects.for_subject(subject).get(action="privacy.erased")
    return dict(entry.detail)


def _assert_ann_is_erased(ann: Holder, before: dict[str, Any]) -> None:
    after = _rows(ann)
    # the account is closed: no sign-in, no email index, no second factor, no last visit
    [(email, index, totp, password, active, closed_at, last_login)] = after["user"]
    assert index is None and totp is None and last_login is None
    assert active is False and closed_at is not None
    assert not User.objects.get(pk=ann.user.pk).has_usable_password()
    assert password != before["user"][0][3]
    # its sealed email stays as it was stored, and opens for nobody
    assert email == before["user"][0][0]
    with pytest.raises(KeyDestroyed):
        reveal(
            User.objects.get(pk=ann.user.pk), ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=None
        )
    # every session signed in as Ann, or verified as her guest, is ended
    assert after["sessions"] == []
    assert ann.signed_in.get("/privacy/").status_code == 302  # back to sign-in
    # what is free text or a choice about her goes
    for kind in (
        "marketing",
        "addresses",
        "notes",
        "conversations",
        "posts",
        "published",
        "notice",
        "messages",
        "acceptances",
        "challenges",
        "receipts",
        "consents",
        "data_key",
    ):
        assert after[kind] == [], kind
    # her published review keeps its stars, without words or name
    [(review_id, stars, body, pseudonym, erased_at)] = after["reviews"]
    assert (review_id, stars, body, pseudonym) == (ann.review.pk, 4, None, None)
    assert erased_at is not None
    # a staff reason for cancelling goes; the fact of the cancellations stays
    assert [reason for _, reason in after["cancellations"]] == [None, None]
    assert len(after["cancellations"]) == len(before["cancellations"])
    # deliveries stay as anonymous records: sealed values that open for nobody, no index
    assert [i for _, _, i in after["deliveries"]] == ["", "", ""]
    assert [d[:2] for d in after["deliveries"]] == [d[:2] for d in before["deliveries"]]
    with pytest.raises(KeyDestroyed):
        reveal(ann.delivered.delivery, ["name"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    # card facts are blanked on every payment of hers; the processor's reference stays
    assert [p[1:5] for p in after["payments"]] == [("", "", None, None)] * 2
    assert [p[5] for p in after["payments"]] == [p[5] for p in before["payments"]]
    # her requests stay as records, without her words or her access file
    assert [(r[1], r[2]) for r in after["requests"]] == [(None, None)] * 2
    assert [r[0] for r in after["requests"]] == [r[0] for r in before["requests"]]
    # the cookie receipt stays as anonymous proof of a choice
    assert ConsentReceipt.objects.filter(pk__in=[r[0] for r in before["receipts"]]).count() == 1


def _expected_counts(ann: Holder, before: dict[str, Any]) -> dict[str, int]:
    """What the erasure of Ann removes, counted from what she had."""
    return {
        "sessions": 2,  # signed in, and a guest session proving her order
        "accounts.user": 1,
        "accounts.marketing_choices": len(before["marketing"]),
        "checkout.saved_addresses": 1,
        "orders.deliveries": 3,
        "orders.cancellation_reasons": 1,  # the customer's own cancellation has none
        "orders.notes": 1,
        "inbox.messages": len(before["messages"]),
        # the conversation with each post in it and the question published from it
        "support.conversations": 1 + len(before["posts"]) + 1,
        "reviews.words": 1,
        "payments.card_facts": 2,
        "policies.acceptances": len(before["acceptances"]),
        "privacy.requests": 3,  # correction, access and the deletion itself
        "consent.receipts": 1,
        "marketing.purpose_consents": 1,
        "data_key": 1,
    }


@pytest.mark.commitment("C6.4")
def test_an_approved_erasure_reaches_every_kind_of_the_persons_data_and_no_one_elses(
    ann_and_bob: tuple[Holder, Holder], staff: Callable[[str], Any]
) -> None:
    ann, bob = ann_and_bob
    before, bob_before = _rows(ann), _rows(bob)
    # she has every kind of data (else an assertion below would prove nothing)
    assert all(before[kind] for kind in before), [k for k in before if not before[k]]
    assert len(before["sessions"]) == 2 and len(before["posts"]) == 2
    assert len(before["cancellations"]) == 2 and len(before["payments"]) == 2
    assert before["user"][0][2] is not None and before["user"][0][6] is not None

    # when Ann asks for deletion and the privacy officer approves it
    response = ann.signed_in.post(
        "/privacy/requests/", {"kind": Kind.DELETION, "password": PASSWORD}
    )
    assert response.status_code == 302
    request = SubjectRequest.objects.get(subject=ann.subject, kind=Kind.DELETION)
    _, officer = staff(Role.PRIVACY_OFFICER)
    assert officer.post(f"/privacy/queue/{request.id}/approve/").status_code == 302
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    # and names the partner told about her, how often and when last, for the follow-up
    [told] = Disclosure.objects.filter(subject=ann.subject)
    assert request.partners == [
        {
            "partner": CARRIER_NAME,
            "kind": "carrier",
            "disclosures": 1,
            "last_at": told.at.isoformat(),
        }
    ]

    # then every kind of her data is gone or blanked as promised
    _assert_ann_is_erased(ann, before)
    # and the erasure recorded exactly what each eraser removed
    counts = _erased_counts(ann.subject)
    assert counts.pop("partners") == 1  # the carrier, told her delivery details
    assert counts == _expected_counts(ann, before)
    # while every row of Bob's is exactly as it was, and still opens
    assert _rows(bob) == bob_before
    assert (
        reveal(bob.delivered.delivery, ["name"], purpose=Purpose.SUBJECT_REQUEST, actor=None)[
            "name"
        ]
        == RECIPIENT
    )
    assert bob.signed_in.get("/privacy/").status_code == 200


@pytest.mark.commitment("C6.4")
def test_erasing_twice_is_harmless_and_the_counts_are_exact(
    ann_and_bob: tuple[Holder, Holder],
) -> None:
    ann, bob = ann_and_bob
    before, bob_before = _rows(ann), _rows(bob)

    counts = erase_subject(subject=ann.subject)
    assert counts == _expected_counts(ann, before) | {"privacy.requests": 2}
    _assert_ann_is_erased(ann, before)
    erased = _rows(ann)

    # a second run finds nothing more to remove and changes nothing of Ann's or Bob's
    again = erase_subject(subject=ann.subject)
    assert set(again) == THE_ERASERS
    removed = {k: again[k] for k in THE_ERASERS}
    for name in (
        "sessions",
        "accounts.marketing_choices",
        "checkout.saved_addresses",
        "orders.cancellation_reasons",
        "orders.notes",
        "inbox.messages",
        "support.conversations",
        "reviews.words",
        "policies.acceptances",
        "consent.receipts",
        "marketing.purpose_consents",
        "data_key",
    ):
        assert removed[name] == 0, name
    now_rows = _rows(ann)
    # (the account stays closed since the first run: only a new unusable password is set)
    [(email, index, totp, _, active, closed_at, last_login)] = now_rows.pop("user")
    [(email_before, _, _, _, _, closed_before, _)] = erased.pop("user")
    assert (email, index, totp, active, last_login) == (email_before, None, None, False, None)
    assert closed_at == closed_before is not None
    assert not User.objects.get(pk=ann.user.pk).has_usable_password()
    assert now_rows == erased
    assert _rows(bob) == bob_before


def _session_exists(client: Client) -> bool:
    return Session.objects.filter(session_key=_session_key(client)).exists()


@pytest.mark.commitment("C6.4")
def test_a_guest_erased_through_the_guest_flow_loses_their_sessions_and_codes_only(
    guest_order: Order, sent_code: Callable[..., tuple[uuid.UUID, str | None]], settings: Any
) -> None:
    # given a guest who opened their data in one browser (a session proving their order)
    verified = Client()
    challenge, code = sent_code(
        verified, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    assert (
        verified.post("/privacy/guest/code/", {"challenge": challenge, "code": code}).status_code
        == 302
    )
    # and another guest who did the same
    other_order = deliver(place(email="other.guest@example.com", name="Otto Other"))
    other = Client()
    other_challenge, other_code = sent_code(
        other, email="other.guest@example.com", number=other_order.number, kind=Kind.ACCESS
    )
    other.post("/privacy/guest/code/", {"challenge": other_challenge, "code": other_code})
    assert _session_exists(verified) and _session_exists(other)
    other_index = Delivery.objects.get(order=other_order).email_index
    assert other_index and Delivery.objects.get(order=guest_order).email_index

    # when the guest asks for deletion from a second browser, erased at once by the rule
    settings.LOOKOUT_DELETION_AUTO_APPROVE = True
    deleting = Client()
    challenge, code = sent_code(
        deleting, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.DELETION
    )
    deleting.post("/privacy/guest/code/", {"challenge": challenge, "code": code})

    # then the session that proved their order is ended, and their codes are gone
    assert not _session_exists(verified)
    assert not GuestChallenge.objects.filter(subject=guest_order.subject).exists()
    assert Delivery.objects.get(order=guest_order).email_index == ""
    counts = _erased_counts(guest_order.subject)
    assert counts["sessions"] == 1 and counts["accounts.user"] == 0  # a guest has no account
    assert counts["orders.deliveries"] == 1 and counts["data_key"] == 1
    # while the other guest keeps their session, code and delivery index
    assert _session_exists(other)
    assert GuestChallenge.objects.filter(subject=other_order.subject).count() == 1
    assert Delivery.objects.get(order=other_order).email_index == other_index
    assert (
        other.get(
            f"/privacy/requests/{SubjectRequest.objects.get(subject=other_order.subject).id}/"
        ).status_code
        == 200
    )


@pytest.mark.commitment("C6.4")
def test_a_visitor_who_only_asked_a_question_is_erased_with_their_email(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from lookout.support.visitors import open_for_visitor, start

    product = make_product()
    vera = start(email="vera.visitor@example.com", ip="203.0.113.5")
    open_for_visitor(visitor=vera, product=product, body="Is it waterproof? Vera, flat 3")
    otto = start(email="otto.visitor@example.com", ip="203.0.113.6")
    kept = open_for_visitor(visitor=otto, product=product, body="Does it need wifi?")

    counts = erase_subject(subject=vera.subject)

    # her conversation with its message, and the visitor record holding her sealed email, go
    assert not Visitor.objects.filter(pk=vera.pk).exists()
    assert not Conversation.objects.filter(subject=vera.subject).exists()
    assert not Post.objects.filter(subject=vera.subject).exists()
    assert counts["support.conversations"] == 3  # conversation, its message, the visitor
    assert counts["accounts.user"] == 0 and counts["sessions"] == 0
    assert counts["data_key"] == 1
    # the other visitor keeps theirs
    assert Visitor.objects.filter(pk=otto.pk).exists()
    assert Post.objects.filter(conversation=kept).count() == 1


@pytest.mark.commitment("C6.4")
def test_a_published_question_leaves_cached_product_pages_with_the_erasure(
    cached_pages: None, django_capture_on_commit_callbacks: Any
) -> None:
    user = create_account(email="asker@example.com", password=PASSWORD)
    item = make_product()
    conversation = open_conversation(
        subject=user.subject, topic="product", body="At night? Ann", product=item, publish_ok=True
    )
    publish_question(conversation=conversation, question=PUBLISHED_Q, answer=ANSWER)
    visitor = Client()
    assert ANSWER in visitor.get(item.get_absolute_url()).content.decode()  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        erase_subject(subject=user.subject)

    assert not PublicQuestion.objects.filter(conversation=conversation).exists()
    assert ANSWER not in visitor.get(item.get_absolute_url()).content.decode()


def _partner(kind: str) -> Partner:
    return Partner.objects.get(kind=kind, name__in=[CARRIER_NAME, PROCESSOR_NAME])


def _told(partner: Partner, subject: uuid.UUID, at: datetime) -> None:
    Disclosure.objects.create(
        partner=partner,
        subject=subject,
        fields=["orders.Delivery.name"],
        categories=["user.name"],
        purpose=Purpose.DELIVERY if partner.kind == "carrier" else Purpose.FULFILMENT,
        at=at,
        actor_ref="system",
        target=f"orders.Delivery:{uuid.uuid4()}",
    )


@pytest.mark.commitment("C6.4", "C6.7")
def test_partners_told_counts_each_partners_disclosures_and_the_last_one() -> None:
    ann, bob = uuid.uuid4(), uuid.uuid4()
    carrier, processor = _partner("carrier"), _partner("payment_processor")
    day = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    _told(carrier, ann, day)
    _told(processor, ann, day + timedelta(hours=1))
    _told(carrier, ann, day + timedelta(hours=2))
    _told(carrier, bob, day + timedelta(hours=3))  # someone else's: not counted, not the last

    assert sorted(partners_told(ann), key=lambda e: e["kind"]) == [
        {
            "partner": CARRIER_NAME,
            "kind": "carrier",
            "disclosures": 2,
            "last_at": (day + timedelta(hours=2)).isoformat(),
        },
        {
            "partner": PROCESSOR_NAME,
            "kind": "payment_processor",
            "disclosures": 1,
            "last_at": (day + timedelta(hours=1)).isoformat(),
        },
    ]
    assert [e["partner"] for e in partners_told(ann)] == sorted([CARRIER_NAME, PROCESSOR_NAME])
    assert partners_told(uuid.uuid4()) == []


@pytest.mark.commitment("C6.4", "C6.7")
def test_partner_records_are_the_persons_own_tracking_numbers_and_payment_sessions() -> None:
    from lookout.shipping.models import Shipment

    ann = create_account(email="ann.records@example.com", password=PASSWORD)
    bob = create_account(email="bob.records@example.com", password=PASSWORD)
    paid, declined, bobs = place(user=ann), place(user=ann), place(user=bob)
    for order, reference in ((paid, "ps_ann_paid"), (declined, None), (bobs, "ps_bob_paid")):
        Payment.objects.create(
            order_ref=order.pk,
            amount=order.total,
            status=Payment.Status.CAPTURED if reference else Payment.Status.DECLINED,
            processor_reference=reference,
            idempotency_key=secrets.token_hex(8),
        )
    Shipment.objects.create(order=paid, carrier=CARRIER_NAME, tracking_number="TRK-ANN-1")
    Shipment.objects.create(order=bobs, carrier=CARRIER_NAME, tracking_number="TRK-BOB-1")

    assert partner_records(ann.subject) == {
        "carrier": ["TRK-ANN-1"],
        "payment_processor": ["ps_ann_paid"],
    }
    assert partner_records(uuid.uuid4()) == {"carrier": [], "payment_processor": []}


@pytest.mark.commitment("C6.4")
def test_an_eraser_an_app_registers_runs_with_the_erasure_and_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an app keeping loyalty-card numbers the data key does not cover adds its own eraser
    cards = {uuid.uuid4(): ["6012-1"], uuid.uuid4(): ["6012-2", "6012-3"]}
    ann, bob = list(cards)

    def forget_cards(subject: uuid.UUID) -> int:
        return len(cards.pop(subject, []))

    monkeypatch.setattr(erasure, "_ERASERS", dict(erasure._ERASERS))
    erasure.register_eraser("loyalty.cards", forget_cards)

    counts = erase_subject(subject=ann)

    assert counts["loyalty.cards"] == 1
    assert list(cards) == [bob]
    assert set(counts) == THE_ERASERS | {"loyalty.cards"}


@pytest.mark.commitment("C6.4")
def test_an_erasure_failing_at_its_last_step_leaves_nothing_half_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = create_account(email="half.done@example.com", password=PASSWORD)
    save_address(user=user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE)
    real_destroy = erasure.destroy_data_key

    def destroyed_then_lost(*, subject: uuid.UUID) -> bool:
        real_destroy(subject=subject)
        raise ConnectionError("the key store went away before the end")

    monkeypatch.setattr(erasure, "destroy_data_key", destroyed_then_lost)
    with pytest.raises(ConnectionError):
        erase_subject(subject=user.subject)

    # neither database keeps a part of it: the key, the address and the account are all there
    assert DataKey.objects.filter(subject=user.subject).exists()
    assert SavedAddress.objects.filter(subject=user.subject).exists()
    assert User.objects.get(pk=user.pk).is_active
    assert reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user) == {
        "email": "half.done@example.com"
    }


@pytest.mark.commitment("C6.4")
def test_an_erasure_zeroes_freed_pages_even_on_a_connection_that_did_not() -> None:
    sqlite = [c for c in (connections["default"], connections["keystore"]) if c.vendor == "sqlite"]
    if not sqlite:
        pytest.skip("SQLite only: PostgreSQL keeps no deleted values in free pages to zero")

    def secure_delete(connection: Any) -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            return int(cursor.fetchone()[0])

    try:
        for connection in sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = OFF")  # e.g. opened by another tool
        user = create_account(email="zeroed@example.com", password=PASSWORD)
        save_address(user=user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE)
        erase_subject(subject=user.subject)
        assert not SavedAddress.objects.filter(subject=user.subject).exists()
        assert [secure_delete(c) for c in sqlite] == [1] * len(sqlite)
    finally:
        for connection in sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")
