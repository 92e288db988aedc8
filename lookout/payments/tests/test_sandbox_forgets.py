"""The sandbox processor keeps nothing it does not need (issue 19, finding 9).

It stands in for an outside processor but runs on the shop's machine in development, so its
SQLite file must not keep the cardholder's name (the form's prefill) or the return URL (it
holds the guest's access token) once they have served: not in a row, not in free pages, not
in the write-ahead log. Each test searches the file's raw bytes after one path a session can
take: completed, abandoned and purged, expired by the store, voided.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from lookout.payments.models import Payment
from lookout.payments.services import (
    PaymentStart,
    ask_processor,
    confirm_payment,
    start_payment,
    void_or_refund,
)
from lookout.payments.tests.conftest import SECRET
from lookout.payments.tests.helpers import SUCCESS, pay_on_page, signed_ref
from lookout.payments.transport import call_wsgi
from sandbox_processor.app import SandboxProcessor
from sandbox_processor.shopper import future_expiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


@pytest.fixture
def processor(tmp_path) -> SandboxProcessor:
    """Purges at every session creation (the default is at most once a minute)."""
    processor = SandboxProcessor(db_path=tmp_path / "sandbox.sqlite3", secret=SECRET)
    processor.purge_every = 0.0
    return processor


def _start(name: str, token: str, amount: str = "25.00") -> PaymentStart:
    return start_payment(
        order_ref=uuid.uuid4(),
        amount=Decimal(amount),
        return_url=f"/checkout/payment-return/{{payment_id}}/?access={token}",
        idempotency_key=f"forget-{uuid.uuid4()}",
        cardholder_hint={"name": name},
    )


def _secrets() -> tuple[str, str]:
    return f"Cardholder {secrets.token_hex(6)}", f"guest-token-{secrets.token_hex(12)}"


def _kept(processor: SandboxProcessor, *values: str) -> list[str]:
    raw = processor.store.raw_bytes()
    return [value for value in values if value.encode() in raw]


def _backdate(processor: SandboxProcessor, reference: str, by: timedelta) -> None:
    """Let time pass for one session: its creation moves `by` into the past."""
    opened = (datetime.now(UTC) - by).isoformat()
    with sqlite3.connect(processor.store.path) as db:
        db.execute("UPDATE sessions SET created_at = ? WHERE reference = ?", [opened, reference])
    db.close()


def test_a_completed_session_keeps_neither_name_nor_return_url(shop, processor):
    name, token = _secrets()
    start = _start(name, token)
    # while the page is open, the processor has both (it needs them)
    assert _kept(processor, name, token) == [name, token]
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    # the customer is sent back with the token, once
    assert token in headers["Location"]
    assert _kept(processor, name, token) == []
    # and the store still learns the outcome; the page seen again offers no way back with it
    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )
    assert payment.status == Payment.Status.AUTHORIZED
    status, _, page = call_wsgi(shop, "GET", start.redirect_url)
    assert status == 200 and b"authorized" in page and token.encode() not in page


def test_an_abandoned_session_is_expired_and_purged_by_the_processor_itself(shop, processor):
    name, token = _secrets()
    left = _start(name, token)
    reference = str(left.payment.processor_reference)
    # an hour and a bit later (the processor's own limit) the next checkout opens a session
    _backdate(processor, reference, timedelta(hours=1, minutes=1))
    _start("Someone Else", "another-token")
    # then the left session is closed, and neither its name nor its token remains anywhere
    assert processor.store.get(reference)["status"] == "expired"  # type: ignore[index]
    assert _kept(processor, name, token) == []
    wal = processor.store.path.with_name(processor.store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # and a card typed on the left page now is refused, while the store learns it failed
    card = urlencode({"number": SUCCESS, "expiry": future_expiry(), "cvc": "123", "action": "pay"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = call_wsgi(shop, "POST", left.redirect_url, body=card.encode(), headers=form)
    assert status == 409
    assert ask_processor(payment=left.payment, close=False).status == Payment.Status.FAILED


def test_a_session_opened_less_than_the_limit_ago_is_left_open(shop, processor):
    name, token = _secrets()
    waiting = _start(name, token)
    reference = str(waiting.payment.processor_reference)
    _backdate(processor, reference, timedelta(minutes=59))
    _start("Someone Else", "another-token")
    assert processor.store.get(reference)["status"] == "open"  # type: ignore[index]
    assert _kept(processor, name, token) == [name, token]


def test_a_session_the_store_expires_keeps_neither(shop, processor):
    name, token = _secrets()
    start = _start(name, token)
    closed = ask_processor(payment=start.payment, close=True)
    assert closed.status == Payment.Status.FAILED
    assert _kept(processor, name, token) == []


def test_a_voided_session_keeps_neither(shop, processor):
    name, token = _secrets()
    start = _start(name, token)
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )
    given_back, outcome = void_or_refund(payment=payment, actor=None)
    assert (given_back.status, outcome) == (Payment.Status.VOIDED, "voided")
    assert _kept(processor, name, token) == []
