"""What an erasure tells partners and what the deletion certificate says (C6.7, C6.4).

The promises, each checked on what a partner receives, what the officer and the audit log see,
and what anyone holding the certificate's reference reads:

- a partner is asked to erase exactly the data it received about the person (the ledger), with
  its own references to the records, and nothing goes to a partner that received nothing;
- the request a partner receives is signed with the store's published key;
- a partner that cannot be reached is asked again after a growing wait, one that answers
  "pending" is asked again later, and an answer is recorded as the partner gave it;
- a request is due a fixed time after the erasure, and one unconfirmed by then is overdue;
- the certificate says truthfully when the person's key was destroyed, which partner was asked
  for which fields, when, and what each answered; and it holds no personal data.

Partners here are reached through fake channels that record what they are sent.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import TestCase
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.errors import Conflict, LookoutError
from lookout.sharing import redaction, signing
from lookout.sharing.models import (
    DeletionCertificate,
    Disclosure,
    Partner,
    PartnerKind,
    RedactionRequest,
    RedactionStatus,
)
from lookout.sharing.redaction import (
    ChannelError,
    Outgoing,
    PartnerAnswer,
    certificate_body,
    certificate_reference,
    open_redactions,
    outgoing,
    overdue,
    record_confirmation,
    send_due,
    signed_certificate,
    subject_reference,
    unconfirmed,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DELIVERY = ["orders.Delivery.address", "orders.Delivery.name", "orders.Delivery.phone"]
PAYMENT = ["payments.Payment.cardholder_name"]


@dataclass
class FakeChannel:
    """A partner's channel: records what it is sent and answers as scripted (an exception in
    the script is raised instead)."""

    answers: list[Any] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)

    def _next(self) -> PartnerAnswer:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def send(self, partner: Partner, request: Outgoing) -> PartnerAnswer:
        self.partners.append(partner.name)
        self.sent.append(request)
        return self._next()

    def check(self, partner: Partner, reference: str) -> PartnerAnswer:
        self.partners.append(partner.name)
        self.checked.append(reference)
        return self._next()


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeChannel]:
    """Fake channels for the carrier and the processor; no channel for the dispute vendor."""
    monkeypatch.setattr(redaction, "_CHANNELS", {})
    fakes: dict[str, FakeChannel] = {}
    for kind in (PartnerKind.CARRIER, PartnerKind.PAYMENT_PROCESSOR):
        fake = fakes[kind] = FakeChannel()
        redaction.register_channel(kind, _returning(fake))
    return fakes


def _returning(fake: FakeChannel) -> Callable[[], FakeChannel]:
    return lambda: fake


def _partner(name: str, kind: str) -> Partner:
    return Partner.objects.create(name=name, kind=kind)


def _told(partner: Partner, subject: uuid.UUID, fields: list[str], categories: list[str]) -> None:
    Disclosure.objects.create(
        partner=partner,
        subject=subject,
        fields=fields,
        categories=categories,
        purpose="delivery",
        actor_ref="system",
        target=f"orders.Delivery:{uuid.uuid4()}",
    )


def _erase(subject: uuid.UUID, **records: list[str]) -> DeletionCertificate:
    return open_redactions(
        subject=subject, request_id=uuid.uuid4(), key_destroyed_at=T0, records=records or None
    )


def _one_request(kind: str = PartnerKind.CARRIER) -> RedactionRequest:
    """A person told to one partner of `kind` and erased at T0: their request to it."""
    subject = uuid.uuid4()
    _told(_partner(f"{kind} Co", kind), subject, DELIVERY, ["user.name"])
    _erase(subject)
    return RedactionRequest.objects.get()


def _confirmed(reference: str = "", at: datetime | None = None) -> PartnerAnswer:
    return PartnerAnswer(status="confirmed", reference=reference, confirmed_at=at)


def _pending(reference: str = "") -> PartnerAnswer:
    return PartnerAnswer(status="pending", reference=reference)


# --- the references ---------------------------------------------------------------------------


def test_the_certificate_reference_is_24_base32_characters_fixed_per_request() -> None:
    request_id = uuid.uuid4()
    reference = certificate_reference(request_id)
    assert len(reference) == 24 and set(reference) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert certificate_reference(uuid.UUID(str(request_id))) == reference
    assert certificate_reference(str(request_id)) == reference  # type: ignore[arg-type]
    assert certificate_reference(uuid.uuid4()) != reference


def test_the_subject_reference_is_a_digest_that_does_not_show_the_subject() -> None:
    subject = uuid.uuid4()
    digest = subject_reference(subject)
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert subject_reference(str(subject)) == digest  # type: ignore[arg-type]
    assert subject.hex not in digest and subject_reference(uuid.uuid4()) != digest


# --- opening the requests ---------------------------------------------------------------------


def test_each_partner_told_is_asked_for_exactly_what_it_received_and_no_one_else(
    channels: dict[str, FakeChannel],
) -> None:
    subject, someone_else = uuid.uuid4(), uuid.uuid4()
    carrier = _partner("Zeta Parcels", PartnerKind.CARRIER)
    processor = _partner("Alpha Pay", PartnerKind.PAYMENT_PROCESSOR)
    _partner("Never Told Disputes", PartnerKind.DISPUTE_RESOLUTION)
    # the carrier was told twice (the union is asked for), the processor once
    _told(carrier, subject, ["orders.Delivery.phone", "orders.Delivery.name"], ["user.name"])
    _told(carrier, subject, ["orders.Delivery.address", "orders.Delivery.name"], ["user.contact"])
    _told(processor, subject, PAYMENT, ["user.financial"])
    # another person's transfers are not this person's
    _told(carrier, someone_else, ["orders.Delivery.email"], ["user.contact.email"])
    _told(
        _partner("Other Disputes", PartnerKind.DISPUTE_RESOLUTION),
        someone_else,
        ["returns.Dispute.note"],
        ["user"],
    )

    certificate = _erase(
        subject,
        carrier=["TRACK-2", "TRACK-1"],
        payment_processor=["ps_1"],
        dispute_resolution=["never-told"],
    )

    requests = {r.partner.name: r for r in certificate.redactions.select_related("partner")}
    assert set(requests) == {"Zeta Parcels", "Alpha Pay"}
    assert RedactionRequest.objects.count() == 2
    zeta, alpha = requests["Zeta Parcels"], requests["Alpha Pay"]
    assert zeta.fields == DELIVERY and zeta.categories == ["user.contact", "user.name"]
    assert zeta.records == ["TRACK-1", "TRACK-2"] and zeta.subject == subject
    assert alpha.fields == PAYMENT and alpha.categories == ["user.financial"]
    assert alpha.records == ["ps_1"] and alpha.subject == subject
    for request in (zeta, alpha):
        assert request.status == RedactionStatus.QUEUED and request.attempts == 0
        assert request.due_at == T0 + timedelta(days=30)
        assert request.sent_at is None and request.confirmed_at is None
    # the certificate is the person's: when the key went, the subject only as a digest
    assert certificate.key_destroyed_at == T0
    assert certificate.subject_ref == subject_reference(subject)

    # and when they are sent, each partner gets its own fields and records, nothing else
    channels[PartnerKind.CARRIER].answers.append(_confirmed("C-1"))
    channels[PartnerKind.PAYMENT_PROCESSOR].answers.append(_confirmed("P-1"))
    assert send_due(now=T0) == {"confirmed": 2, "pending": 0, "by_hand": 0, "failed": 0}
    [to_carrier] = channels[PartnerKind.CARRIER].sent
    [to_processor] = channels[PartnerKind.PAYMENT_PROCESSOR].sent
    assert (to_carrier.body["fields"], to_carrier.records) == (DELIVERY, ["TRACK-1", "TRACK-2"])
    assert (to_processor.body["fields"], to_processor.records) == (PAYMENT, ["ps_1"])
    assert channels[PartnerKind.CARRIER].partners == ["Zeta Parcels"]
    assert channels[PartnerKind.PAYMENT_PROCESSOR].partners == ["Alpha Pay"]


def test_a_person_no_partner_was_told_about_gets_a_certificate_and_no_request_is_queued() -> None:
    subject = uuid.uuid4()
    _told(_partner("Someone Else's Carrier", PartnerKind.CARRIER), uuid.uuid4(), DELIVERY, [])
    with TestCase.captureOnCommitCallbacks() as queued:
        certificate = _erase(subject, carrier=["TRACK-9"])
    assert not RedactionRequest.objects.exists() and queued == []
    body = certificate_body(certificate, now=T0)
    assert body["partners"] == [] and body["key_destroyed_at"] == T0.isoformat()


def test_requests_without_records_name_none(channels: dict[str, FakeChannel]) -> None:
    subject = uuid.uuid4()
    _told(_partner("Carrier Co", PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    _erase(subject)  # no partner references known
    assert RedactionRequest.objects.get().records == []


def test_opening_again_for_the_same_request_keeps_the_first_certificate() -> None:
    subject, request_id = uuid.uuid4(), uuid.uuid4()
    _told(_partner("Carrier Co", PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    first = open_redactions(subject=subject, request_id=request_id, key_destroyed_at=T0)
    again = open_redactions(
        subject=subject, request_id=request_id, key_destroyed_at=T0 + timedelta(days=1)
    )
    assert again.pk == first.pk == certificate_reference(request_id)
    assert again.key_destroyed_at == T0
    assert DeletionCertificate.objects.count() == 1 and RedactionRequest.objects.count() == 1


def test_the_send_is_queued_when_the_erasure_commits_and_a_queue_failure_is_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lookout.sharing import tasks

    subject = uuid.uuid4()
    _told(_partner("Carrier Co", PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    enqueued: list[int] = []

    class Task:
        @staticmethod
        def enqueue() -> None:
            enqueued.append(1)

    monkeypatch.setattr(tasks, "send_redactions", Task)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _erase(subject)
        assert enqueued == []  # not before the erasure commits
    assert enqueued == [1]

    class Down:
        @staticmethod
        def enqueue() -> None:
            raise RuntimeError("the task queue is down")

    monkeypatch.setattr(tasks, "send_redactions", Down)
    other = uuid.uuid4()
    _told(Partner.objects.get(), other, DELIVERY, ["user.name"])
    with (
        caplog.at_level(logging.WARNING, logger="lookout.sharing.redaction"),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        _erase(other)
    assert [r.getMessage() for r in caplog.records] == [
        "could not queue the redaction requests; the scheduler will send them"
    ]
    assert RedactionRequest.objects.filter(subject=other).exists()


def test_the_due_date_follows_the_configured_number_of_days(settings: Any) -> None:
    settings.LOOKOUT_REDACTION_DUE_DAYS = "7"
    request = _one_request()
    assert request.due_at == T0 + timedelta(days=7)
    assert request.next_attempt_at == T0  # sent as soon as the erasure commits


# --- what a partner receives ------------------------------------------------------------------


def test_the_request_a_partner_receives_names_fields_and_records_and_is_signed(
    settings: Any,
) -> None:
    settings.LOOKOUT_OPERATOR_NAME = "Lookout Shop Ltd"
    settings.LOOKOUT_SITE_URL = "https://shop.example/"
    subject = uuid.uuid4()
    _told(_partner("Zeta Parcels", PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    _erase(subject, carrier=["TRACK-1"])
    request = RedactionRequest.objects.select_related("partner", "certificate").get()

    sent = outgoing(request)

    assert sent.body == {
        "type": "lookout-redaction-request",
        "version": 1,
        "request": str(request.pk),
        "from": "Lookout Shop Ltd",
        "to": "Zeta Parcels",
        "kind": "carrier",
        "fields": DELIVERY,
        "categories": ["user.name"],
        "records": ["TRACK-1"],
        "erased_at": T0.isoformat(),
        "respond_by": (T0 + timedelta(days=30)).isoformat(),
        "key_url": "https://shop.example/.well-known/lookout-deletion-key.pem",
    }
    assert sent.records == ["TRACK-1"]
    # signed with the key the store publishes, over exactly these bytes
    assert sent.raw == signing.canonical(sent.body)
    key_part, signature_part = sent.signature_header.split(",")
    published = signing.load_public_key(signing.public_key_pem())
    assert key_part == f"keyid={signing.key_id(published)}"
    assert signature_part.startswith("ed25519=")
    signing.verify_bytes(sent.raw, signature_part.removeprefix("ed25519="), key=published)
    # no value of the person's data goes out: only names
    assert "TRACK-1" in sent.raw.decode() and str(subject) not in sent.raw.decode()


def test_the_key_url_is_the_site_address_followed_by_the_key_path(settings: Any) -> None:
    request = _one_request()
    # a store served under a path of its site
    settings.LOOKOUT_SITE_URL = "https://example.com/SHOP-X/"
    expected = "https://example.com/SHOP-X/.well-known/lookout-deletion-key.pem"
    assert outgoing(request).body["key_url"] == expected
    assert certificate_body(request.certificate)["key_url"] == expected
    # without a site address, the path alone
    settings.LOOKOUT_SITE_URL = None
    assert outgoing(request).body["key_url"] == signing.KEY_PATH


# --- sending and retrying ---------------------------------------------------------------------


def test_a_confirmation_is_recorded_as_the_partner_gave_it_and_audited(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request()
    said_at = T0 + timedelta(minutes=3)
    channels[PartnerKind.CARRIER].answers.append(_confirmed("R" * 120, said_at))
    sent_at = T0 + timedelta(minutes=1)

    assert send_due(now=sent_at) == {"confirmed": 1, "pending": 0, "by_hand": 0, "failed": 0}

    request.refresh_from_db()
    assert request.status == RedactionStatus.CONFIRMED
    assert request.confirmed_at == said_at and request.sent_at == sent_at
    assert request.partner_reference == "R" * 100 and request.attempts == 1
    [entry] = AuditEntry.objects.filter(action="privacy.redaction_sent")
    assert entry.subject_ref == str(request.subject) and entry.fields == DELIVERY
    assert entry.target == f"sharing.RedactionRequest:{request.pk}"
    assert entry.detail == {"partner": str(request.partner_id), "answer": "confirmed"}
    assert not overdue(now=T0 + timedelta(days=31)).exists()
    assert request not in unconfirmed()
    # a confirmed request is never sent or asked about again
    assert send_due(now=T0 + timedelta(days=40)) == {
        "confirmed": 0,
        "pending": 0,
        "by_hand": 0,
        "failed": 0,
    }
    assert len(channels[PartnerKind.CARRIER].sent) == 1
    assert channels[PartnerKind.CARRIER].checked == []


def test_a_confirmation_without_a_time_is_dated_when_it_was_received(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request()
    channels[PartnerKind.CARRIER].answers.append(_confirmed())
    send_due(now=T0 + timedelta(minutes=2))
    request.refresh_from_db()
    assert request.confirmed_at == T0 + timedelta(minutes=2)
    assert request.partner_reference == ""


def test_a_pending_partner_is_asked_again_an_hour_later_by_its_reference(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    carrier.answers += [_pending("TICKET-7"), _pending(), _confirmed()]
    long_note = PartnerAnswer(status="pending", note="n" * 400)

    assert send_due(now=T0)["pending"] == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.SENT and request.sent_at == T0
    assert request.partner_reference == "TICKET-7" and request.confirmed_at is None
    assert request.next_attempt_at == T0 + timedelta(hours=1)
    assert request in unconfirmed()
    # not asked again before the hour is over
    assert send_due(now=T0 + timedelta(minutes=59))["pending"] == 0
    assert carrier.checked == []
    # asked again (by the partner's reference, not sent anew), still pending: reference kept
    assert send_due(now=T0 + timedelta(hours=1))["pending"] == 1
    assert len(carrier.sent) == 1 and carrier.checked == ["TICKET-7"]
    assert carrier.partners == ["carrier Co", "carrier Co"]  # the partner it is for, each time
    request.refresh_from_db()
    assert request.partner_reference == "TICKET-7" and request.sent_at == T0
    assert request.next_attempt_at == T0 + timedelta(hours=2) and request.attempts == 2
    assert AuditEntry.objects.filter(action="privacy.redaction_checked").count() == 1
    # the last check confirms
    assert send_due(now=T0 + timedelta(hours=2))["confirmed"] == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.CONFIRMED and request.sent_at == T0
    assert request.confirmed_at == T0 + timedelta(hours=2)
    # a partner's long note is cut to what the record holds
    other = _one_request_for_another_person()
    carrier.answers.append(long_note)
    send_due(now=T0 + timedelta(hours=3))
    other.refresh_from_db()
    assert other.note == "n" * 300


def _one_request_for_another_person() -> RedactionRequest:
    subject = uuid.uuid4()
    _told(Partner.objects.get(kind=PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    _erase(subject)
    return RedactionRequest.objects.get(subject=subject)


def test_a_partner_that_says_it_cannot_delete_by_api_leaves_it_to_the_officer(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request(PartnerKind.PAYMENT_PROCESSOR)
    channels[PartnerKind.PAYMENT_PROCESSOR].answers.append(
        PartnerAnswer(status="by_hand", note="Use the processor's privacy form.")
    )
    assert send_due(now=T0)["by_hand"] == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.BY_HAND and request.confirmed_at is None
    assert request.note == "Use the processor's privacy form."
    assert request in unconfirmed()
    # and it is not sent again by the task
    assert sum(send_due(now=T0 + timedelta(days=2)).values()) == 0


def test_a_partner_kind_without_a_channel_is_left_to_the_officer_unsent(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request(PartnerKind.DISPUTE_RESOLUTION)
    assert send_due(now=T0) == {"confirmed": 0, "pending": 0, "by_hand": 1, "failed": 0}
    request.refresh_from_db()
    assert request.status == RedactionStatus.BY_HAND and request.sent_at is None
    assert request.confirmed_at is None
    # the officer's queue shows what to do
    assert request.note == (
        "No channel sends requests to this kind of partner: send it by hand and record the "
        "partner's answer."
    )
    assert not AuditEntry.objects.filter(action__startswith="privacy.redaction_").exists()


def test_an_unreachable_partner_is_asked_again_after_a_growing_wait(
    channels: dict[str, FakeChannel], caplog: pytest.LogCaptureFixture
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    waits = [1, 5, 30, 120, 360, 360, 360]  # minutes after the 1st, 2nd, ... failure
    carrier.answers += [ChannelError("The carrier's desk did not answer." + "x" * 400)] * len(waits)
    now = T0
    for attempt, wait in enumerate(waits, start=1):
        with caplog.at_level(logging.WARNING, logger="lookout.sharing.redaction"):
            assert send_due(now=now) == {"confirmed": 0, "pending": 0, "by_hand": 0, "failed": 1}
        request.refresh_from_db()
        assert request.attempts == attempt and request.status == RedactionStatus.QUEUED
        assert request.next_attempt_at == now + timedelta(minutes=wait), attempt
        assert request.note.startswith("The carrier's desk did not answer.")
        assert len(request.note) == 300 and request.sent_at is None
        # nothing is tried a moment before the wait is over
        assert sum(send_due(now=request.next_attempt_at - timedelta(seconds=1)).values()) == 0
        now = request.next_attempt_at
    assert [r.getMessage() for r in caplog.records][-1] == (
        f"redaction request {request.pk} not sent (attempt 7)"
    )
    assert len(carrier.sent) == len(waits) and carrier.checked == []
    # a failure is no answer: nothing was audited as sent
    assert not AuditEntry.objects.filter(action__startswith="privacy.redaction_").exists()


def test_a_failed_check_keeps_the_request_sent_and_asks_again(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    carrier.answers += [_pending("TICKET-1"), ChannelError("down"), _confirmed()]
    send_due(now=T0)
    later = T0 + timedelta(hours=1)
    assert send_due(now=later)["failed"] == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.SENT and request.attempts == 2
    assert request.next_attempt_at == later + timedelta(minutes=5)
    assert send_due(now=later + timedelta(minutes=5))["confirmed"] == 1
    assert carrier.checked == ["TICKET-1", "TICKET-1"] and len(carrier.sent) == 1


def test_a_run_that_dies_holding_a_request_leaves_it_for_a_later_run(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    carrier.answers += [RuntimeError("the worker died"), _confirmed()]
    with pytest.raises(RuntimeError):
        send_due(now=T0)
    request.refresh_from_db()
    assert request.status == RedactionStatus.QUEUED and request.attempts == 0
    # another run does not take it while the first might still be sending it
    assert sum(send_due(now=T0 + timedelta(minutes=9, seconds=59)).values()) == 0
    assert send_due(now=T0 + timedelta(minutes=10))["confirmed"] == 1
    assert len(carrier.sent) == 2


def test_a_run_sends_the_longest_waiting_first_and_at_most_its_limit(
    channels: dict[str, FakeChannel],
) -> None:
    carrier = _partner("Carrier Co", PartnerKind.CARRIER)
    subjects = [uuid.uuid4() for _ in range(6)]
    for n, subject in enumerate(subjects):
        _told(carrier, subject, DELIVERY, ["user.name"])
        open_redactions(
            subject=subject,
            request_id=uuid.uuid4(),
            key_destroyed_at=T0 - timedelta(minutes=n),
        )
    channels[PartnerKind.CARRIER].answers += [_confirmed()] * 6
    assert send_due(now=T0, limit=5)["confirmed"] == 5
    erased_first = {str(r.pk): r.subject for r in RedactionRequest.objects.all()}
    order = [erased_first[sent.body["request"]] for sent in channels[PartnerKind.CARRIER].sent]
    assert order == subjects[::-1][:5]
    assert send_due(now=T0)["confirmed"] == 1


def test_one_run_handles_at_most_200_requests_and_the_next_run_the_rest() -> None:
    vendor = _partner("Disputes Co", PartnerKind.DISPUTE_RESOLUTION)  # no channel: by hand
    certificate = DeletionCertificate.objects.create(
        reference="c" * 24, subject_ref="d", key_destroyed_at=T0
    )
    RedactionRequest.objects.bulk_create(
        RedactionRequest(
            certificate=certificate,
            partner=vendor,
            subject=uuid.uuid4(),
            fields=DELIVERY,
            due_at=T0 + timedelta(days=30),
            next_attempt_at=T0,
        )
        for _ in range(201)
    )
    assert send_due(now=T0)["by_hand"] == 200
    assert send_due(now=T0)["by_hand"] == 1


def test_a_run_without_a_time_sends_what_is_due_now(channels: dict[str, FakeChannel]) -> None:
    request = _one_request()
    channels[PartnerKind.CARRIER].answers.append(_confirmed())
    with freeze_time(T0 - timedelta(seconds=1)):
        assert sum(send_due().values()) == 0
    with freeze_time(T0):
        assert send_due()["confirmed"] == 1
    request.refresh_from_db()
    assert request.sent_at == T0


def test_a_request_another_run_is_holding_is_not_sent_twice(
    channels: dict[str, FakeChannel], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    read_before = list(redaction.due_requests(T0))  # a second run read the row at T0 too
    carrier.answers += [RuntimeError("the first run stopped while sending"), _confirmed()]
    with pytest.raises(RuntimeError):
        send_due(now=T0)
    # the second run, with what it read before the first took the request, does not send it
    monkeypatch.setattr(redaction, "due_requests", lambda now: read_before)
    assert sum(send_due(now=T0 + timedelta(minutes=1)).values()) == 0
    assert len(carrier.sent) == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.QUEUED and request.attempts == 0


def test_an_answer_the_officer_recorded_is_not_undone_by_a_run_that_read_the_request_before(
    channels: dict[str, FakeChannel], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _one_request()
    carrier = channels[PartnerKind.CARRIER]
    carrier.answers += [_pending("TICKET-1"), _pending()]
    send_due(now=T0)
    later = T0 + timedelta(hours=1)
    read_before = list(redaction.due_requests(later))  # a run reads the request
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )
    record_confirmation(request=request, actor=officer, reference="LETTER-5", confirmed_at=later)
    # then the run goes on with what it read: it does not ask the partner again
    monkeypatch.setattr(redaction, "due_requests", lambda now: read_before)
    assert sum(send_due(now=later).values()) == 0
    assert carrier.checked == []
    request.refresh_from_db()
    assert request.status == RedactionStatus.CONFIRMED
    assert (request.partner_reference, request.confirmed_at) == ("LETTER-5", later)


@pytest.mark.commitment("C6.7")
def test_an_answer_the_officer_records_while_a_run_asks_the_partner_stays_recorded(
    channels: dict[str, FakeChannel], caplog: pytest.LogCaptureFixture
) -> None:
    request = _one_request()
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )
    later = T0 + timedelta(hours=1)

    class SlowDesk(FakeChannel):
        def check(self, partner: Partner, reference: str) -> PartnerAnswer:
            # while the partner's desk is being asked, the officer records its letter
            record_confirmation(
                request=request, actor=officer, reference="LETTER-5", confirmed_at=later
            )
            return _pending()

    desk = SlowDesk(answers=[_pending("TICKET-1")])
    redaction.register_channel(PartnerKind.CARRIER, _returning(desk))
    send_due(now=T0)
    checks_before = AuditEntry.objects.filter(action="privacy.redaction_checked").count()
    # the run's "pending" is dropped: the officer's record stands, whole, and the log says so
    with caplog.at_level(logging.INFO, logger="lookout.sharing.redaction"):
        counts = send_due(now=later)
    assert counts == {"confirmed": 0, "pending": 0, "by_hand": 0, "failed": 0}
    assert f"redaction request {request.pk} was answered meanwhile; kept as recorded" in [
        r.getMessage() for r in caplog.records
    ]
    request.refresh_from_db()
    assert request.status == RedactionStatus.CONFIRMED
    assert (request.partner_reference, request.confirmed_at) == ("LETTER-5", later)
    assert request.note == "Confirmation recorded by the privacy officer."
    assert AuditEntry.objects.filter(action="privacy.redaction_checked").count() == checks_before
    assert request not in unconfirmed()


# --- the officer ------------------------------------------------------------------------------


def test_the_officer_records_a_partners_answer_with_its_reference() -> None:
    request = _one_request(PartnerKind.DISPUTE_RESOLUTION)
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )
    with freeze_time(T0 + timedelta(days=3)):
        done = record_confirmation(request=request, actor=officer, reference="  CASE \n 42 ")
    assert done.status == RedactionStatus.CONFIRMED and done.partner_reference == "CASE 42"
    assert done.confirmed_at == T0 + timedelta(days=3)
    assert done.note == "Confirmation recorded by the privacy officer."
    stored = RedactionRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.partner_reference) == (RedactionStatus.CONFIRMED, "CASE 42")
    [entry] = AuditEntry.objects.filter(action="privacy.redaction_confirmed")
    assert entry.actor_ref == str(officer.subject) and entry.subject_ref == str(request.subject)
    assert entry.target == f"sharing.RedactionRequest:{request.pk}"
    assert entry.detail == {"partner": str(request.partner_id)}
    # once recorded, it cannot be recorded again, and the officer is told why
    with pytest.raises(Conflict) as refused:
        record_confirmation(request=request, actor=officer, reference="CASE 43")
    assert refused.value.message == "This partner's confirmation is already recorded."
    assert RedactionRequest.objects.get(pk=request.pk).partner_reference == "CASE 42"


def test_the_officer_may_give_when_the_partner_confirmed() -> None:
    request = _one_request(PartnerKind.DISPUTE_RESOLUTION)
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )
    said = T0 + timedelta(days=2)
    done = record_confirmation(
        request=request, actor=officer, reference="X" * 100, confirmed_at=said
    )
    assert done.confirmed_at == said and done.partner_reference == "X" * 100


def test_only_the_officer_records_an_answer_and_only_with_a_reference() -> None:
    request = _one_request(PartnerKind.DISPUTE_RESOLUTION)
    clerk = create_account(
        email="clerk@example.com", password="long-pass-word-1", role=Role.AFTER_SALES
    )
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )
    for someone in (clerk, AnonymousUser()):
        with pytest.raises(LookoutError) as refused:
            record_confirmation(request=request, actor=someone, reference="CASE 1")  # type: ignore[arg-type]
        assert refused.value.message == "Only the privacy officer records a partner's answer."
    for bad in ("", "   ", None, "X" * 101):
        with pytest.raises(LookoutError) as refused:
            record_confirmation(request=request, actor=officer, reference=bad)  # type: ignore[arg-type]
        assert refused.value.message == (
            "Give the partner's reference for its answer (at most 100 characters)."
        )
    request.refresh_from_db()
    assert request.status == RedactionStatus.QUEUED
    assert request.confirmed_at is None and request.partner_reference == ""
    assert not AuditEntry.objects.filter(action="privacy.redaction_confirmed").exists()


# --- overdue ----------------------------------------------------------------------------------


def test_a_request_unconfirmed_past_its_due_date_is_overdue_the_earliest_first(
    channels: dict[str, FakeChannel],
) -> None:
    carrier = _partner("Carrier Co", PartnerKind.CARRIER)
    made = []
    for days in (2, 0, 1):
        subject = uuid.uuid4()
        _told(carrier, subject, DELIVERY, ["user.name"])
        open_redactions(
            subject=subject,
            request_id=uuid.uuid4(),
            key_destroyed_at=T0 + timedelta(days=days),
        )
        made.append(RedactionRequest.objects.get(subject=subject))
    late, early, middle = made
    due = early.due_at
    assert due == T0 + timedelta(days=30)
    assert list(unconfirmed()) == [early, middle, late]
    # due is not yet overdue; a moment after it is
    assert not overdue(now=due).exists()
    assert list(overdue(now=due + timedelta(seconds=1))) == [early]
    assert list(overdue(now=due + timedelta(days=3))) == [early, middle, late]
    with freeze_time(due + timedelta(days=1, seconds=1)):
        assert list(overdue()) == [early, middle]
    # a confirmed one is neither overdue nor waiting
    RedactionRequest.objects.filter(pk=middle.pk).update(status=RedactionStatus.CONFIRMED)
    assert list(overdue(now=due + timedelta(days=3))) == [early, late]
    assert list(unconfirmed()) == [early, late]


# --- the certificate --------------------------------------------------------------------------


def test_the_certificate_says_when_the_key_went_who_was_asked_for_what_and_what_they_said(
    channels: dict[str, FakeChannel], settings: Any
) -> None:
    settings.LOOKOUT_OPERATOR_NAME = "Lookout Shop Ltd"
    settings.LOOKOUT_SITE_URL = "https://shop.example"
    subject, request_id = uuid.uuid4(), uuid.uuid4()
    zeta = _partner("Zeta Parcels", PartnerKind.CARRIER)
    alpha = _partner("Alpha Pay", PartnerKind.PAYMENT_PROCESSOR)
    _told(zeta, subject, DELIVERY, ["user.name"])
    _told(alpha, subject, PAYMENT, ["user.financial"])
    certificate = open_redactions(
        subject=subject, request_id=request_id, key_destroyed_at=T0, records={}
    )
    reference = certificate_reference(request_id)

    # before anything is sent: both asked for, neither asked yet nor confirmed
    body = certificate_body(certificate, now=T0)
    assert [p["partner"] for p in body["partners"]] == ["Alpha Pay", "Zeta Parcels"]
    assert body["partners"][1] == {
        "partner": "Zeta Parcels",
        "kind": "carrier",
        "fields": DELIVERY,
        "asked_at": None,
        "confirmed_at": None,
        "partner_reference": None,
        "status": "queued",
    }

    # the carrier confirms at once, the processor says it will answer later
    channels[PartnerKind.CARRIER].answers.append(_confirmed("C-77", T0 + timedelta(minutes=2)))
    channels[PartnerKind.PAYMENT_PROCESSOR].answers.append(_pending())
    send_due(now=T0 + timedelta(minutes=1))
    issued = T0 + timedelta(days=1)
    body = certificate_body(certificate, now=issued)
    assert body == {
        "type": "lookout-deletion-certificate",
        "version": 1,
        "certificate": reference,
        "issuer": "Lookout Shop Ltd",
        "subject_ref": subject_reference(subject),
        "key_destroyed_at": T0.isoformat(),
        "issued_at": issued.isoformat(),
        "partners": [
            {
                "partner": "Alpha Pay",
                "kind": "payment_processor",
                "fields": PAYMENT,
                "asked_at": (T0 + timedelta(minutes=1)).isoformat(),
                "confirmed_at": None,
                "partner_reference": None,
                "status": "sent",
            },
            {
                "partner": "Zeta Parcels",
                "kind": "carrier",
                "fields": DELIVERY,
                "asked_at": (T0 + timedelta(minutes=1)).isoformat(),
                "confirmed_at": (T0 + timedelta(minutes=2)).isoformat(),
                "partner_reference": "C-77",
                "status": "confirmed",
            },
        ],
        "key_url": "https://shop.example/.well-known/lookout-deletion-key.pem",
        "meaning": "The data key that opened every stored copy of this person's data was "
        "destroyed at key_destroyed_at. Each partner named was asked to delete the fields "
        "listed; confirmed_at is when the partner said it had: its word, not proof.",
    }
    # issued now when no time is given
    with freeze_time(issued):
        assert certificate_body(certificate)["issued_at"] == issued.isoformat()
    # nothing in it names the person
    text = json.dumps(body)
    assert str(subject) not in text and subject.hex not in text


def test_the_signed_certificate_is_found_by_its_reference_alone_and_verifies() -> None:
    subject, request_id = uuid.uuid4(), uuid.uuid4()
    _told(_partner("Carrier Co", PartnerKind.CARRIER), subject, DELIVERY, ["user.name"])
    open_redactions(subject=subject, request_id=request_id, key_destroyed_at=T0)
    reference = certificate_reference(request_id)

    signed = signed_certificate(reference)
    assert signed is not None
    published = signing.load_public_key(signing.public_key_pem())
    document = signing.verify_document(signed, key=published)
    assert document["certificate"] == reference and document["key_destroyed_at"] == T0.isoformat()
    assert [p["fields"] for p in document["partners"]] == [DELIVERY]
    # typed in capitals, it is the same certificate
    upper = signed_certificate(reference.upper())
    assert upper is not None and upper["document"]["certificate"] == reference
    # anything that is not a reference finds nothing
    assert signed_certificate(certificate_reference(uuid.uuid4())) is None
    assert signed_certificate(None) is None  # type: ignore[arg-type]
    assert signed_certificate(reference[:15]) is None
    assert signed_certificate(reference + "x" * 17) is None


def test_an_answer_the_officer_records_as_a_run_finds_no_channel_stays_recorded(
    channels: dict[str, FakeChannel],
) -> None:
    request = _one_request(PartnerKind.CARRIER)
    officer = create_account(
        email="officer@example.com", password="long-pass-word-1", role=Role.PRIVACY_OFFICER
    )

    def no_channel_yet() -> None:
        # while the run looks for the partner's channel, the officer records its letter
        record_confirmation(request=request, actor=officer, reference="LETTER-9")
        return None

    redaction.register_channel(PartnerKind.CARRIER, no_channel_yet)  # type: ignore[arg-type]
    # the run hands nothing to the officer: the request is already answered
    assert send_due(now=T0) == {"confirmed": 0, "pending": 0, "by_hand": 0, "failed": 0}
    request.refresh_from_db()
    assert (request.status, request.partner_reference) == (RedactionStatus.CONFIRMED, "LETTER-9")


def test_a_run_that_outlived_its_claim_does_not_overwrite_the_run_that_took_over(
    channels: dict[str, FakeChannel],
) -> None:
    # given a request sent at T0 and due to be checked again an hour later
    request = _one_request()
    channels[PartnerKind.CARRIER].answers.append(_pending("TICKET-1"))
    send_due(now=T0)
    first_check = T0 + timedelta(hours=1)
    takeover = first_check + redaction.CLAIM_FOR + timedelta(minutes=1)

    class HangingDesk(FakeChannel):
        def check(self, partner: Partner, reference: str) -> PartnerAnswer:
            # this run hangs past its claim; another run takes the request over and is told
            # it is still pending, under a new ticket
            redaction.register_channel(PartnerKind.CARRIER, _returning(prompt))
            assert send_due(now=takeover)["pending"] == 1
            return _pending("TICKET-STALE")

    prompt = FakeChannel(answers=[_pending("TICKET-2")])
    redaction.register_channel(PartnerKind.CARRIER, _returning(HangingDesk()))
    # when the hanging run finally answers, nothing of it is written
    assert send_due(now=first_check)["pending"] == 0
    request.refresh_from_db()
    assert request.partner_reference == "TICKET-2"
    assert request.next_attempt_at == takeover + redaction.CHECK_EVERY
    assert request.attempts == 2
