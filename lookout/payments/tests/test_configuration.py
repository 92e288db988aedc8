"""The gateway and processor as settings configure them (what other apps' tests get)."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler

from lookout.payments.gateway import SandboxGateway, configured_gateway, get_gateway
from lookout.payments.models import Payment
from lookout.payments.sandbox.config import default_processor, shared_secret
from lookout.payments.sandbox.mount import SandboxDispatcher, mount_sandbox
from lookout.payments.services import confirm_payment
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page, signed_ref
from lookout.payments.transport import HttpTransport, WsgiTransport


@pytest.fixture
def sandbox_settings(settings, tmp_path):
    settings.LOOKOUT_PAYMENT_SANDBOX_DB = tmp_path / "configured-sandbox.sqlite3"
    return settings


@pytest.mark.django_db
def test_tests_get_an_in_process_sandbox_without_any_setup(sandbox_settings):
    # given: nothing but settings (as in the checkout app's tests)
    shop = mount_sandbox(WSGIHandler())
    assert isinstance(shop, SandboxDispatcher)

    # when: a payment goes through the mounted page and is confirmed
    start = begin("15.00")
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )

    # then
    assert payment.status == Payment.Status.AUTHORIZED
    gateway = get_gateway()
    assert isinstance(gateway, SandboxGateway)
    assert isinstance(gateway.transport, WsgiTransport)
    assert default_processor().store.path == sandbox_settings.LOOKOUT_PAYMENT_SANDBOX_DB


def test_outside_tests_the_gateway_speaks_http_to_the_configured_url(settings):
    settings.LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS = False
    settings.LOOKOUT_PAYMENT_PROCESSOR_URL = "http://127.0.0.1:9/sandbox-processor"

    gateway = configured_gateway()

    assert isinstance(gateway, SandboxGateway)
    assert isinstance(gateway.transport, HttpTransport)
    assert gateway.transport.base_url == "http://127.0.0.1:9/sandbox-processor"


def test_the_shared_secret_is_derived_from_the_secret_key_unless_set(settings):
    derived = shared_secret()
    assert derived and derived != settings.SECRET_KEY
    settings.SECRET_KEY = "another-" + "k" * 50
    assert shared_secret() != derived
    settings.LOOKOUT_PAYMENT_SANDBOX_SECRET = "explicit-secret"
    assert shared_secret() == "explicit-secret"


def test_production_does_not_mount_the_sandbox_by_default(settings):
    settings.PRODUCTION = True
    store = WSGIHandler()
    assert mount_sandbox(store) is store
    settings.LOOKOUT_PAYMENT_SANDBOX_ENABLED = True
    assert isinstance(mount_sandbox(store), SandboxDispatcher)
