"""A sandbox processor per test (its own SQLite file) and a store gateway wired to it in-process.

The gateway reaches the processor through `WsgiTransport`: a real request through the
processor's routing, authentication and storage, without an HTTP server. `shop` is the store's
WSGI application with the processor mounted, as lookout/wsgi.py serves it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler

from lookout.payments.gateway import SandboxGateway, use_gateway
from lookout.payments.tests.helpers import RecordingApp
from lookout.payments.transport import WsgiTransport
from sandbox_processor.app import SandboxProcessor
from sandbox_processor.mount import mount_sandbox

SECRET = "test-shared-secret-for-the-sandbox"


@pytest.fixture
def processor(tmp_path) -> SandboxProcessor:
    return SandboxProcessor(db_path=tmp_path / "sandbox.sqlite3", secret=SECRET, hang_seconds=0.2)


@pytest.fixture
def gateway(processor) -> Iterator[SandboxGateway]:
    gateway = SandboxGateway(transport=WsgiTransport(processor, timeout=5.0), secret=SECRET)
    with use_gateway(gateway):
        yield gateway


@pytest.fixture
def django_app() -> RecordingApp:
    """The store's Django app, recording every request that reaches it."""
    return RecordingApp(WSGIHandler())


@pytest.fixture
def shop(django_app, processor):
    return mount_sandbox(django_app, processor)
