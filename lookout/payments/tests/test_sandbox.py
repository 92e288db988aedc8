"""The sandbox processor's own page and API: bad input, headers, mounting, HTTP transport."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from socketserver import ThreadingMixIn
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from lookout.payments.gateway import GatewayError, GatewayTimeout, SandboxGateway
from lookout.payments.tests.conftest import SECRET
from lookout.payments.tests.helpers import SUCCESS, TIMEOUT
from lookout.payments.transport import HttpTransport, call_wsgi
from sandbox_processor import signing
from sandbox_processor.cards import CardError, read_card
from sandbox_processor.mount import SandboxDispatcher
from sandbox_processor.shopper import future_expiry


def new_session(processor, **changes) -> dict:
    body = {
        "amount": "19.99",
        "currency": "USD",
        "order_ref": str(uuid.uuid4()),
        "return_url": "/back/",
        **changes,
    }
    status, _, content = call_wsgi(
        processor,
        "POST",
        "/api/sessions",
        body=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {signing.api_key(SECRET)}",
            "Idempotency-Key": f"k-{uuid.uuid4()}",
            "Content-Type": "application/json",
        },
    )
    return {"status": status, **json.loads(content)}


def post_card(processor, reference: str, **fields) -> tuple[int, dict[str, str], bytes]:
    form = {"number": SUCCESS, "expiry": future_expiry(), "cvc": "123", "action": "pay", **fields}
    return call_wsgi(
        processor,
        "POST",
        f"/pay/{reference}",
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"number": "4242 4242 4242 4241"}, b"card number is not valid"),
        ({"number": "abcd"}, b"card number is not valid"),
        ({"expiry": "13/30"}, b"between 01 and 12"),
        ({"expiry": "01/20"}, b"has expired"),
        ({"expiry": "soon"}, b"month and year"),
        ({"cvc": "12"}, b"3 or 4 digits"),
    ],
)
def test_bad_card_input_gets_a_clear_message_and_no_echo(processor, fields, message):
    # given: a card number the page itself does not print as a test card
    fields = {"number": "5555 5555 5555 4444", **fields}
    session = new_session(processor)

    status, _, page = post_card(processor, session["reference"], **fields)

    assert status == 400
    assert message in page
    assert fields["number"].replace(" ", "").encode() not in page.replace(b" ", b"")
    assert fields["number"].encode() not in page
    assert processor.store.get(session["reference"])["status"] == "open"


def test_the_page_sets_its_own_strict_headers(processor):
    session = new_session(processor, return_url="https://shop.example.com/back/")

    status, headers, page = call_wsgi(processor, "GET", f"/pay/{session['reference']}")

    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://shop.example.com" in csp
    assert "'nonce-" in csp and "unsafe-inline" not in csp
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert b"$19.99" in page
    assert b'autocomplete="cc-number"' in page


def test_a_finished_session_cannot_be_paid_again(processor):
    session = new_session(processor)
    assert post_card(processor, session["reference"])[0] == 303

    status, _, page = post_card(processor, session["reference"])

    assert status == 409
    assert b"This payment is finished" in page


def test_an_unknown_payment_link_is_a_404_page(processor):
    status, headers, page = call_wsgi(processor, "GET", "/pay/ps_" + "a" * 24)
    assert status == 404
    assert b"not valid" in page
    assert headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": 19.99}, "decimal string"),
        ({"amount": "0"}, "more than 0"),
        ({"amount": "1.001"}, "two decimal places"),
        ({"amount": "NaN"}, "two decimal places"),
        ({"currency": "EUR"}, "Only USD"),
        ({"order_ref": "nope"}, "UUID"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"return_url": "//evil.example.com"}, "return_url"),
        ({"cardholder_name": 5}, "cardholder_name"),
    ],
)
def test_bad_api_input_gets_a_400_with_a_clear_message(processor, changes, message):
    answer = new_session(processor, **changes)
    assert answer["status"] == 400
    assert message in answer["error"]
    assert processor.store.count() == 0


def test_the_api_requires_the_store_key(processor):
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        status, _, content = call_wsgi(processor, "POST", "/api/sessions", headers=header)
        assert status == 401
        assert json.loads(content) == {"error": "A valid API key is required."}


def test_a_reused_idempotency_key_for_another_payment_is_a_conflict(processor):
    headers = {
        "Authorization": f"Bearer {signing.api_key(SECRET)}",
        "Idempotency-Key": "same",
    }
    first = {"amount": "1.00", "currency": "USD", "order_ref": str(uuid.uuid4()), "return_url": "/"}
    second = {**first, "amount": "2.00"}
    statuses = [
        call_wsgi(processor, "POST", "/api/sessions", body=json.dumps(b).encode(), headers=headers)[
            0
        ]
        for b in (first, first, second)
    ]
    assert statuses == [201, 200, 409]


def test_read_card_keeps_no_number():
    from datetime import date

    facts = read_card(number=SUCCESS, expiry="4/2031", cvc="1234", today=date(2030, 1, 1))
    assert (facts.brand, facts.last4, facts.exp_month, facts.exp_year) == ("visa", "4242", 4, 2031)
    assert "4242424242424242" not in repr(facts)
    with pytest.raises(CardError):
        read_card(number="", expiry="", cvc="", today=date(2030, 1, 1))


def test_the_dispatcher_sends_only_the_prefix_to_the_processor(processor):
    seen = []

    def store(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"store"]

    app = SandboxDispatcher(store, processor)
    assert call_wsgi(app, "GET", "/sandbox-processor/pay/ps_" + "a" * 24)[0] == 404
    assert call_wsgi(app, "GET", "/sandbox-processorx/")[2] == b"store"
    assert call_wsgi(app, "GET", "/checkout/")[2] == b"store"
    assert seen == ["/sandbox-processorx/", "/checkout/"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # the test output stays clean
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def http_processor(processor) -> Iterator[str]:
    """The processor behind a real HTTP server, mounted like lookout/wsgi.py mounts it."""

    def not_found(environ, start_response):
        start_response("404 Not Found", [])
        return [b""]

    app = SandboxDispatcher(not_found, processor)
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sandbox-processor"
    server.shutdown()
    server.server_close()


def test_the_gateway_speaks_http_to_the_processor(http_processor, processor):
    # given: the store's gateway client over real HTTP
    gateway = SandboxGateway(transport=HttpTransport(http_processor, timeout=5), secret=SECRET)

    # when: a session is created, paid with the success card and fetched
    session = gateway.create_session(
        idempotency_key="http-1", order_ref=uuid.uuid4(), amount=Decimal("5.00"), return_url="/r/"
    )
    post_card(processor, session.reference)
    fetched = gateway.fetch(session.reference)

    # then
    assert session.pay_url == f"/sandbox-processor/pay/{session.reference}"
    assert (fetched.status, fetched.brand, fetched.last4) == ("authorized", "visa", "4242")
    with pytest.raises(GatewayError) as refused:
        gateway.refund(session.reference, amount=Decimal("1.00"), idempotency_key="r1")
    assert refused.value.status == 409


def test_the_http_client_gives_up_on_a_hanging_processor(http_processor, processor):
    processor.hang_seconds = 1.0
    gateway = SandboxGateway(transport=HttpTransport(http_processor, timeout=0.1), secret=SECRET)
    session = gateway.create_session(
        idempotency_key="http-2", order_ref=uuid.uuid4(), amount=Decimal("5.00"), return_url="/r/"
    )
    post_card(processor, session.reference, number=TIMEOUT)

    with pytest.raises(GatewayTimeout):
        gateway.fetch(session.reference)


@pytest.mark.commitment("C2.3")
def test_a_processor_failure_reports_no_card_data(processor, monkeypatch, caplog, capsys):
    # given: the processor's storage breaks while the card is being handled, with an error
    # message that quotes the request (the worst case for an error report)
    import logging

    caplog.set_level(logging.DEBUG)
    session = new_session(processor)

    def broken(reference, facts):
        raise RuntimeError(f"disk full while saving {SUCCESS} / 123")

    monkeypatch.setattr(processor.store, "complete", broken)

    # when
    status, _, page = post_card(processor, session["reference"])

    # then: a plain 500 page, and neither it nor any log line carries the number
    assert status == 500
    assert b"The payment processor failed." in page
    assert "RuntimeError" in caplog.text
    output = capsys.readouterr()
    for text in (caplog.text, output.out, output.err):
        assert SUCCESS not in text and SUCCESS.replace(" ", "") not in text
