"""The sandbox processor's webhook delivery over HTTP (development: to the store's own URL).

A small HTTP server stands in for the store: the processor POSTs each event signed with the
shared secret, forgets it once taken, and keeps it to send again when the store fails.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lookout.payments import sandbox_client
from lookout.payments.tests.conftest import SECRET
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page
from sandbox_processor import signing
from sandbox_processor.app import HttpWebhook, SandboxProcessor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


class _Store(BaseHTTPRequestHandler):
    answer = 200
    received: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body, self.headers.get(signing.WEBHOOK_HEADER, "")))
        self.send_response(self.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def store_server() -> Iterator[str]:
    _Store.received, _Store.answer = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/orders/webhooks/payments/"
    server.shutdown()
    server.server_close()


def _queued(processor: SandboxProcessor) -> int:
    with sqlite3.connect(processor.store.path) as db:
        count = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    db.close()
    return count


def test_events_go_out_signed_over_http_and_are_forgotten_once_taken(shop, processor, store_server):
    processor.webhook = HttpWebhook(store_server, timeout=5)
    start = begin("12.00")
    pay_on_page(shop, start, card=SUCCESS)
    assert processor.deliver_events() == 1
    ((path, body, header),) = _Store.received
    assert path == "/orders/webhooks/payments/"
    event = json.loads(body)
    assert (event["type"], event["reference"]) == (
        "payment.authorized",
        start.payment.processor_reference,
    )
    # the store's half of the protocol takes what the processor signed, and only with the secret
    assert sandbox_client.verify_event(SECRET, body, header, now=time.time())
    assert not sandbox_client.verify_event("another-secret", body, header, now=time.time())
    assert _queued(processor) == 0


def test_an_event_the_store_did_not_take_is_kept_to_send_again(shop, processor, store_server):
    processor.webhook = HttpWebhook(store_server, timeout=5)
    _Store.answer = 503
    pay_on_page(shop, begin("13.00"), card=SUCCESS)
    assert processor.deliver_events() == 0
    assert len(_Store.received) == 1
    assert _queued(processor) == 1


def test_without_a_webhook_nothing_is_queued(shop, processor):
    pay_on_page(shop, begin("14.00"), card=SUCCESS)
    assert _queued(processor) == 0
